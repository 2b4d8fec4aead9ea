/**
 * The goal strip's data as plain functions (no React): an episode's goal rows
 * ([(steps + 1) x atoms], 1 where the atom holds; episode.ts decodes them) as runs per atom.
 */

/** Rows `from` to `to` (inclusive) where one atom keeps the same truth. */
export interface GoalRun {
  from: number;
  to: number;
  holds: boolean;
}

/** The runs of atom `atom` over the episode's rows, in order, covering every row. */
export function goalRuns(truth: Uint8Array, atoms: number, atom: number): GoalRun[] {
  const rows = atoms > 0 ? Math.floor(truth.length / atoms) : 0;
  const runs: GoalRun[] = [];
  for (let r = 0; r < rows; r++) {
    const holds = truth[r * atoms + atom] === 1;
    const last = runs.at(-1);
    if (last && last.holds === holds) last.to = r;
    else runs.push({ from: r, to: r, holds });
  }
  return runs;
}

/** What hovering a run says: `On(bowl, plate): true from step 143` (to the end), or with its last step. */
export function runText(name: string, run: GoalRun, lastRow: number): string {
  const value = run.holds ? 'true' : 'false';
  if (run.to >= lastRow) return `${name}: ${value} from step ${run.from}`;
  if (run.from === run.to) return `${name}: ${value} at step ${run.from} only`;
  return `${name}: ${value} from step ${run.from} to step ${run.to}`;
}

/** Whether atom `atom` holds at `row`. */
export function holdsAt(truth: Uint8Array, atoms: number, atom: number, row: number): boolean {
  return truth[row * atoms + atom] === 1;
}
