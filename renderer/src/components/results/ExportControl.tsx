import { useId, useState, type FormEvent } from 'react';
import type { Results } from '../../../../engine/api/schemas/results.js';
import { dialogFailure, nativeDialogs } from '../../dialogs.js';
import { useApp } from '../../store/context.js';

export const exportFileName = (runId: string) => `${runId}.results.json`;

/** The browser's download of the results the page shows, as a file named after the run. */
function download(runId: string, results: Results): void {
  const blob = new Blob([JSON.stringify(results, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = exportFileName(runId);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Inside Electron without the preload's dialogs, the user names the file the engine writes in its
 * exports folder (`<data dir>/exports/`); the engine takes no other path from the page.
 */
function SaveToPath({ runId, onDone }: { runId: string; onDone(message: string | null): void }) {
  const id = useId();
  const exportResultsTo = useApp((s) => s.exportResultsTo);
  const [target, setTarget] = useState(exportFileName(runId));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const outcome = await exportResultsTo(runId, target);
    setSaving(false);
    if ('error' in outcome) setError(outcome.error.message);
    else onDone(`Saved to ${outcome.path}`);
  };
  return (
    <form className="export-form" onSubmit={(e) => void submit(e)} aria-label="Export results">
      <label htmlFor={id}>Save results JSON in the exports folder as</label>
      <input id={id} type="text" className="wide" value={target} onChange={(e) => setTarget(e.target.value)} spellCheck={false} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
      <button type="submit" className="primary" disabled={saving || target.trim() === ''}>
        {saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" onClick={() => onDone(null)}>
        Cancel
      </button>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * Export the run's results JSON: a download in the browser; in Electron the native save dialog asks
 * where and the engine writes the file there (a typed file name in the engine's exports folder where
 * the preload has no dialogs).
 */
export function ExportControl({ runId, results }: { runId: string; results: Results }) {
  const exportResultsTo = useApp((s) => s.exportResultsTo);
  const [asking, setAsking] = useState(false);
  // The dialog is open or the engine is writing.
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dialogs = nativeDialogs();
  const inElectron = typeof window !== 'undefined' && (window as { rsd?: unknown }).rsd !== undefined;

  const saveWithDialog = async (chooseSaveFile: (defaultName: string) => Promise<string | null>) => {
    setSaving(true);
    try {
      const target = await chooseSaveFile(exportFileName(runId));
      if (target === null) return; // cancelled
      const outcome = await exportResultsTo(runId, target);
      if ('error' in outcome) setError(`Could not save to ${target}: ${outcome.error.message}`);
      else setMessage(`Saved to ${outcome.path}`);
    } catch (thrown) {
      setError(`The save dialog failed: ${dialogFailure(thrown)}`);
    } finally {
      setSaving(false);
    }
  };

  const click = () => {
    setMessage(null);
    setError(null);
    if (dialogs) void saveWithDialog(dialogs.chooseSaveFile);
    else if (inElectron) setAsking(true);
    else {
      download(runId, results);
      setMessage(`Downloaded ${exportFileName(runId)}`);
    }
  };
  return (
    <div className="export-control">
      {asking ? (
        <SaveToPath
          runId={runId}
          onDone={(m) => {
            setAsking(false);
            setMessage(m);
          }}
        />
      ) : (
        <button type="button" onClick={click} disabled={saving}>
          Export JSON
        </button>
      )}
      {message && (
        <span className="muted" role="status">
          {message}
        </span>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
