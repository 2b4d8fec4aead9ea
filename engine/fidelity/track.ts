import type { EpisodeOutcome } from '../api/schemas/results.js';
import type { Observation } from '../sim/simulator.js';

/**
 * What the fidelity report keeps of one backend's run of an action sequence: per state (index 0
 * after the reset, index t after env step t, wait steps included) the grip-site position
 * (proprio[0..3]) and each task object's position, and per env step whether the goal held.
 */
export interface Track {
  /** Objects per state (the task's `:objects`). */
  objects: number;
  /** Wait steps at the start, whose goal check LIBERO ignores (docs/libero.md 1.3). */
  waitSteps: number;
  /** 3 numbers per state. */
  eef: number[];
  /** 3 * objects numbers per state. */
  objectPositions: number[];
  /** One per env step. */
  success: boolean[];
  outcome: EpisodeOutcome;
  /** Policy steps taken when the goal first held after the wait steps; null: it never did. */
  successStep: number | null;
  error: string | null;
}

/** Builds a Track as an episode runs. */
export class TrackRecorder {
  readonly track: Track;

  constructor(objects: number, waitSteps: number) {
    this.track = { objects, waitSteps, eef: [], objectPositions: [], success: [], outcome: 'failure', successStep: null, error: null };
  }

  /** The state after the reset, or after a step (`success`: the goal held after it). */
  state(observation: Observation, success?: boolean): void {
    const t = this.track;
    if (success !== undefined) t.success.push(success);
    for (let i = 0; i < 3; i++) t.eef.push(observation.proprio[i]!);
    for (let o = 0; o < t.objects; o++) for (let i = 0; i < 3; i++) t.objectPositions.push(observation.objectPoses[7 * o + i]!);
  }

  /** Env steps recorded so far. */
  get steps(): number {
    return this.track.success.length;
  }

  /** Policy steps recorded so far (env steps after the wait steps). */
  get policySteps(): number {
    return Math.max(0, this.track.success.length - this.track.waitSteps);
  }

  succeed(): void {
    this.track.outcome = 'success';
    this.track.successStep = this.policySteps;
  }

  fail(thrown: unknown): void {
    this.track.outcome = 'error';
    this.track.error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
}

/** States in a track. */
export const trackStates = (t: Track): number => t.eef.length / 3;
