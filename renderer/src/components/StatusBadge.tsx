import type { CheckStatus } from '../../../engine/api/checks.js';

export type RowState = CheckStatus | 'not-checked' | 'queued' | 'running';

const LABEL: Record<RowState, string> = {
  pass: 'Pass',
  warn: 'Warning',
  fail: 'Fail',
  unknown: 'Unknown',
  'not-configured': 'Not configured',
  'not-checked': 'Not checked',
  queued: 'Queued',
  running: 'Checking…',
};

/** The status as a word (never colour alone), coloured by the theme's variables. */
export function StatusBadge({ state }: { state: RowState }) {
  return (
    <span className={`status-badge status-${state}`} data-testid="check-status">
      {LABEL[state]}
    </span>
  );
}
