import { useId, useRef, useState, type ChangeEvent } from 'react';
import { dialogFailure, nativeDialogs } from '../../dialogs.js';
import { useApp } from '../../store/context.js';
import { asRsdError } from '../../store/notices.js';

/** The last part of a path, with either separator (Windows paths come from Electron's dialog too). */
const baseName = (path: string) => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/**
 * A results file from disk: the engine checks it and names the first problem. In the browser the file
 * input reads its text; in Electron the native open dialog gives its path, which the engine reads.
 */
export function ImportControl() {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const importResults = useApp((s) => s.importResults);
  const client = useApp((s) => s.client);
  const loadRuns = useApp((s) => s.loadRuns);
  const openResults = useApp((s) => s.openResults);
  const connected = useApp((s) => s.connectionState === 'open');
  const [error, setError] = useState<{ name: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const dialogs = nativeDialogs();

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

  const importWithDialog = async (chooseOpenFile: () => Promise<string | null>) => {
    setBusy(true);
    setError(null);
    let path: string | null = null;
    try {
      path = await chooseOpenFile();
      if (path === null || !client) return; // cancelled (the button is disabled while disconnected)
      const { id: runId } = await client.call('runs.import', { path });
      await loadRuns();
      openResults(runId);
    } catch (thrown) {
      if (path === null) setError({ name: 'a file', message: `the open dialog failed: ${dialogFailure(thrown)}` });
      else setError({ name: baseName(path), message: asRsdError(thrown).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="import-control">
      {dialogs ? (
        <button type="button" onClick={() => void importWithDialog(dialogs.chooseOpenFile)} disabled={busy || !connected} aria-describedby={error ? `${id}-error` : undefined}>
          {busy ? 'Importing…' : 'Import results JSON'}
        </button>
      ) : (
        <>
          <label htmlFor={id} className={`file-button${busy || !connected ? ' disabled' : ''}`}>
            {busy ? 'Importing…' : 'Import results JSON'}
          </label>
          <input id={id} ref={input} type="file" accept=".json,application/json" className="visually-hidden" onChange={(e) => void chosen(e)} disabled={busy || !connected} aria-describedby={error ? `${id}-error` : undefined} />
        </>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          Could not import {error.name}: {error.message}
        </p>
      )}
    </div>
  );
}
