import { useId, useRef, useState, type ChangeEvent } from 'react';
import { useApp } from '../../store/context.js';

/** A results file from disk: its text goes to the engine, which checks it and names the first problem. */
export function ImportControl() {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const importResults = useApp((s) => s.importResults);
  const connected = useApp((s) => s.connectionState === 'open');
  const [error, setError] = useState<{ name: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const chosen = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    const text = await file.text();
    const failed = text.trim() === '' ? { message: `${file.name} is empty` } : await importResults(text, file.name);
    setBusy(false);
    if (failed) setError({ name: file.name, message: failed.message });
    if (input.current) input.current.value = '';
  };

  return (
    <div className="import-control">
      <label htmlFor={id} className={`file-button${busy || !connected ? ' disabled' : ''}`}>
        {busy ? 'Importing…' : 'Import results JSON'}
      </label>
      <input id={id} ref={input} type="file" accept=".json,application/json" className="visually-hidden" onChange={(e) => void chosen(e)} disabled={busy || !connected} aria-describedby={error ? `${id}-error` : undefined} />
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          Could not import {error.name}: {error.message}
        </p>
      )}
    </div>
  );
}
