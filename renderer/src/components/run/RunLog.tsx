import { useEffect, useRef } from 'react';
import type { RunLogLine } from '../../store/run.js';

/** The run's log, newest at the bottom, kept in view while the user has not scrolled up. */
export function RunLog({ lines }: { lines: readonly RunLogLine[] }) {
  const box = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <pre
      ref={box}
      className="run-log"
      role="log"
      aria-label="Run log"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.length === 0 ? <span className="muted">Nothing logged yet.</span> : lines.map((l) => (
        <div key={l.id} className={`log-${l.level}`}>
          {l.text}
        </div>
      ))}
    </pre>
  );
}
