import type { BackendOutcome, Checkpoint, ErrorStats, FidelityEpisode, FidelityGroup, FidelitySource, FidelityStats, FixtureMode } from '../api/schemas/fidelity.js';
import { percentile } from '../eval/metrics.js';
import type { Formula, TaskSpec } from '../libero/task.js';
import { trackStates, type Track } from './track.js';

/**
 * The fidelity report's arithmetic, pure: two tracks of the same action sequence (engine/fidelity
 * track.ts) compared state by state, and episodes summarised per task.
 *
 * - EEF error: the distance between the two grip-site positions, per state, in metres.
 * - Object error: the largest distance between the two positions of any task object, per state.
 * - Final object error: the distance between the two positions of the object the task moves (its
 *   goal's first argument: the bowl in libero_spatial) at the last state both backends reached.
 * - Agreement: both succeeded or both did not (a replay stops at its own first success).
 *
 * Series run over the states both tracks have: the shorter track ends it (the reference stopped at
 * an earlier success, the source's sequence ended at its success or limit, or an error).
 */

/** Policy steps (after the wait steps) the error statistics are taken at, besides `end`. */
export const CHECKPOINTS: readonly number[] = [0, 25, 50, 100, 150];

export interface Divergence {
  eefError: number[];
  objectError: number[];
  /** Env steps both ran: series have comparedSteps + 1 entries (none when a track has no state). */
  comparedSteps: number;
  eefMax: number;
  objectMax: number;
  finalObjectError: number | null;
}

/** Index in `task.objects` of the object the goal's first atom names first; null when that is not an object. */
export function movedObjectIndex(task: TaskSpec): number | null {
  const first = (f: Formula): string | undefined => {
    switch (f.op) {
      case 'atom':
        return f.atom.args[0];
      case 'not':
        return first(f.arg);
      default:
        for (const arg of f.args) {
          const name = first(arg);
          if (name !== undefined) return name;
        }
        return undefined;
    }
  };
  const name = first(task.goal);
  const index = name === undefined ? -1 : task.objects.findIndex((o) => o.name === name);
  return index < 0 ? null : index;
}

const dist = (a: readonly number[], i: number, b: readonly number[], j: number): number => Math.hypot(a[i]! - b[j]!, a[i + 1]! - b[j + 1]!, a[i + 2]! - b[j + 2]!);

export function compareTracks(a: Track, b: Track, moved: number | null): Divergence {
  if (a.objects !== b.objects) throw new Error(`tracks of ${a.objects} and ${b.objects} objects cannot be compared`);
  const states = Math.min(trackStates(a), trackStates(b));
  const eefError: number[] = [];
  const objectError: number[] = [];
  for (let t = 0; t < states; t++) {
    eefError.push(dist(a.eef, 3 * t, b.eef, 3 * t));
    let worst = 0;
    for (let o = 0; o < a.objects; o++) {
      const i = 3 * (t * a.objects + o);
      worst = Math.max(worst, dist(a.objectPositions, i, b.objectPositions, i));
    }
    objectError.push(worst);
  }
  const last = states - 1;
  const finalObjectError = moved === null || states === 0 ? null : dist(a.objectPositions, 3 * (last * a.objects + moved), b.objectPositions, 3 * (last * b.objects + moved));
  return {
    eefError,
    objectError,
    comparedSteps: Math.max(0, states - 1),
    eefMax: eefError.reduce((m, x) => Math.max(m, x), 0),
    objectMax: objectError.reduce((m, x) => Math.max(m, x), 0),
    finalObjectError,
  };
}

export function outcomeOf(track: Track): BackendOutcome {
  return { outcome: track.outcome, steps: Math.max(0, track.success.length - track.waitSteps), successStep: track.successStep, error: track.error };
}

export const succeeded = (o: BackendOutcome): boolean => o.outcome === 'success';

/**
 * The value of a per-state series at a checkpoint: policy step k is state `waitSteps + k`; `end`
 * the last state. Null when the series does not reach it.
 */
export function valueAt(series: readonly number[], waitSteps: number, checkpoint: Checkpoint): number | null {
  if (series.length === 0) return null;
  if (checkpoint === 'end') return series[series.length - 1]!;
  const i = waitSteps + checkpoint;
  return i < series.length ? series[i]! : null;
}

function errorStats(values: readonly (number | null)[], checkpoint: Checkpoint): ErrorStats {
  const present = values.filter((v): v is number => v !== null);
  return { checkpoint, n: present.length, median: present.length ? percentile(present, 50) : null, p90: present.length ? percentile(present, 90) : null };
}

const median = (values: readonly number[]): number | null => (values.length ? percentile(values, 50) : null);

/** The largest position offset among an episode's fixtures found in both scenes ([] with none). */
function fixtureOffset(e: FidelityEpisode): number[] {
  const found = e.fixtureOffsets.flatMap((o) => (o.position === null ? [] : [o.position]));
  return found.length ? [Math.max(...found)] : [];
}

/** Statistics over episodes of one group (and one task, or all). */
export function fidelityStats(episodes: readonly FidelityEpisode[], waitSteps: number, checkpoints: readonly number[] = CHECKPOINTS): FidelityStats {
  const points: Checkpoint[] = [...checkpoints, 'end'];
  const agreements = episodes.filter((e) => e.agree).length;
  return {
    episodes: episodes.length,
    successesEmbedded: episodes.filter((e) => succeeded(e.embedded)).length,
    successesReference: episodes.filter((e) => succeeded(e.reference)).length,
    agreements,
    agreement: episodes.length ? agreements / episodes.length : null,
    eef: points.map((c) => errorStats(episodes.map((e) => valueAt(e.eefError, waitSteps, c)), c)),
    object: points.map((c) => errorStats(episodes.map((e) => valueAt(e.objectError, waitSteps, c)), c)),
    finalObjectMedian: median(episodes.flatMap((e) => (e.finalObjectError === null ? [] : [e.finalObjectError]))),
    fixtureOffsetMedian: median(episodes.flatMap((e) => fixtureOffset(e))),
  };
}

/** Per (source, fixture mode), in the given orders: each task's statistics and the total. */
export function summarizeEpisodes(
  episodes: readonly FidelityEpisode[],
  order: { sources: readonly FidelitySource[]; fixtures: readonly FixtureMode[]; tasks: readonly number[] },
  waitSteps: number,
  checkpoints: readonly number[] = CHECKPOINTS,
): FidelityGroup[] {
  const groups: FidelityGroup[] = [];
  for (const source of order.sources) {
    for (const fixtures of order.fixtures) {
      const mine = episodes.filter((e) => e.source === source && e.fixtures === fixtures);
      if (mine.length === 0) continue;
      groups.push({
        source,
        fixtures,
        tasks: order.tasks.filter((id) => mine.some((e) => e.taskId === id)).map((taskId) => ({ taskId, ...fidelityStats(mine.filter((e) => e.taskId === taskId), waitSteps, checkpoints) })),
        total: fidelityStats(mine, waitSteps, checkpoints),
      });
    }
  }
  return groups;
}

/** Metres kept to 0.1 µm in the report file (exact zeros stay zero). */
export const roundMetres = (x: number): number => Number(x.toFixed(7));
