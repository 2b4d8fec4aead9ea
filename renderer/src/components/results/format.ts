import { depthText, type DecodingDepth, type RunConfig } from '../../../../engine/api/schemas/run-config.js';

/** How numbers read on the Run and Results pages. */

export const percent = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(digits)}%`);

export const millis = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`);

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const dateTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '');

export const signedPoints = (d: number | null): string => (d === null ? 'n/a' : `${d >= 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(1)} pp`);

export const pValue = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** "speculative (threshold 0.7)", "autoregressive", "speculative (exact), 3 of 8 layers". */
export function decodingLabel(decoding: string, accept: string | null, threshold: number | null, depth?: DecodingDepth): string {
  if (decoding !== 'speculative' || !accept) return decoding + depthText(depth);
  return `${decoding} (${accept}${accept === 'threshold' && threshold !== null ? ` ${threshold}` : ''})${depthText(depth)}`;
}

/** Where a policy server's run got its policy: " from ws://host:8000 (profile rsd-server)"; nothing for a bundle's run. */
export function serverSuffix(policy: RunConfig['policy']): string {
  return policy ? ` from ${policy.url} (profile ${policy.profile})` : '';
}

/** "0, 1, 7" or "0-9". */
export function taskList(tasks: readonly number[]): string {
  const sorted = [...tasks].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first !== undefined && last !== undefined && sorted.length > 2 && last - first === sorted.length - 1) return `${first}–${last}`;
  return sorted.join(', ');
}

/** "1 warning", "2 warnings", "0 episodes": a count whose noun agrees with it (one helper, not a ternary per template). */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** "task 2 × 4 trials", "tasks 0, 2 (2 tasks) × 1 trial": the task ids never read as a count of tasks. */
export function tasksAndTrials(tasks: readonly number[], trials: number): string {
  const which = tasks.length === 1 ? `task ${tasks[0]}` : `tasks ${taskList(tasks)} (${count(tasks.length, 'task')})`;
  return `${which} × ${count(trials, 'trial')}`;
}
