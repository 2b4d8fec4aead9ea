import { useId } from 'react';
import type { SuiteInfo } from '../../store/run.js';

/** The suite's tasks as checkboxes, each with its instruction; at least one must be chosen. */
export function TaskPicker({ suite, chosen, error, onChange, disabled }: { suite: SuiteInfo | undefined; chosen: readonly number[]; error?: string | undefined; onChange(tasks: number[]): void; disabled: boolean }) {
  const id = useId();
  const tasks = suite?.tasks ?? [];
  const toggle = (taskId: number, on: boolean) => onChange(on ? tasks.map((t) => t.id).filter((t) => t === taskId || chosen.includes(t)) : chosen.filter((t) => t !== taskId));
  return (
    <fieldset className={`task-picker${error ? ' field-invalid' : ''}`} aria-describedby={error ? `${id}-error` : undefined} aria-invalid={error ? true : undefined} disabled={disabled}>
      <legend>Tasks</legend>
      <div className="task-picker-tools">
        <span className="muted">
          {chosen.length} of {tasks.length} chosen
        </span>
        <button type="button" onClick={() => onChange(tasks.map((t) => t.id))} disabled={tasks.length === 0 || chosen.length === tasks.length}>
          All
        </button>
        <button type="button" onClick={() => onChange([])} disabled={chosen.length === 0}>
          None
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
      <ul className="task-list">
        {tasks.map((t) => (
          <li key={t.id}>
            <label title={t.name}>
              <input type="checkbox" checked={chosen.includes(t.id)} onChange={(e) => toggle(t.id, e.target.checked)} />
              <span className="task-id">Task {t.id}:</span> <span className="task-instruction">{t.instruction}</span>
            </label>
          </li>
        ))}
      </ul>
      {!suite && <p className="muted">Loading the suite’s tasks…</p>}
    </fieldset>
  );
}
