import { useApp } from '../store/context.js';

/** Errors from the engine, shown beside the work, never in the way of it. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  if (notices.length === 0) return null;
  return (
    <section className="notices" aria-label="Errors" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className="notice" role="alert">
          <div className="notice-title">{n.title}</div>
          <div className="notice-message">
            <code>{n.error.kind}</code> {n.error.message}
            {n.error.field && (
              <>
                {' '}
                (field <code>{n.error.field}</code>)
              </>
            )}
          </div>
          <button type="button" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
