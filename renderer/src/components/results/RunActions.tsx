import { useEffect, useId, useRef, useState } from 'react';
import type { RsdError } from '../../../../engine/api/errors.js';
import type { RunSummary } from '../../../../engine/api/schemas/runs.js';
import { useApp } from '../../store/context.js';
import { count } from './format.js';

/** A run's name and note, edited in its row: saved through runs.rename and runs.note (only what changed). */
export function RunLabelsForm({ run, onDone }: { run: RunSummary; onDone: () => void }) {
  const renameRun = useApp((s) => s.renameRun);
  const noteRun = useApp((s) => s.noteRun);
  const [name, setName] = useState(run.name ?? '');
  const [note, setNote] = useState(run.note ?? '');
  const [error, setError] = useState<RsdError | null>(null);
  const [saving, setSaving] = useState(false);
  const id = useId();

  const save = async () => {
    setSaving(true);
    const failed = (name.trim() !== (run.name ?? '') ? await renameRun(run.id, name) : null) ?? (note.trim() !== (run.note ?? '') ? await noteRun(run.id, note) : null);
    setSaving(false);
    if (failed) setError(failed);
    else onDone();
  };

  return (
    <form
      className="run-labels-form"
      aria-label={`Name and note of run ${run.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} maxLength={100} placeholder={run.id} onChange={(e) => setName(e.target.value)} autoFocus />
      <label htmlFor={`${id}-note`}>Note</label>
      <textarea id={`${id}-note`} value={note} maxLength={2000} rows={2} onChange={(e) => setNote(e.target.value)} />
      {error && (
        <p className="run-error" role="alert">
          Not saved: {error.message}
        </p>
      )}
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={onDone} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * Asks before a run's files are deleted, naming the run and what goes (its folder and everything
 * in it); runs.delete is called only on the dialog's Delete. Escape or Cancel keeps the run.
 */
export function DeleteRunDialog({ run, root, onClose }: { run: RunSummary; root: string | null; onClose: () => void }) {
  const deleteRun = useApp((s) => s.deleteRun);
  const [error, setError] = useState<RsdError | null>(null);
  const [deleting, setDeleting] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const folder = root ? `${root}/${run.id}` : `the run's folder (${run.id})`;

  // Cancel has the focus, so that Enter does not delete by accident.
  useEffect(() => cancel.current?.focus(), []);

  const confirm = async () => {
    setDeleting(true);
    const failed = await deleteRun(run.id);
    setDeleting(false);
    if (failed) setError(failed);
    else onClose();
  };

  return (
    <div className="modal-backdrop">
      <div
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !deleting) onClose();
        }}
      >
        <h2 id={titleId}>Delete run {run.name ? `“${run.name}” (${run.id})` : run.id}?</h2>
        <p>
          This removes the folder <code>{folder}</code> and everything in it: the run record, its {count(run.episodesDone, 'episode')} with their trajectories and camera images, its results
          {run.name || run.note ? ', and its name and note' : ''}. It cannot be undone.
        </p>
        {error && (
          <p className="run-error" role="alert">
            Not deleted: {error.message}
          </p>
        )}
        <div className="form-buttons">
          <button type="button" className="danger" onClick={() => void confirm()} disabled={deleting}>
            {deleting ? 'Deleting…' : 'Delete run'}
          </button>
          <button type="button" ref={cancel} onClick={onClose} disabled={deleting}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
