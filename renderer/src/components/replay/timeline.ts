/**
 * The replay timeline as plain functions (no React, no three): the cursor is a position in policy
 * steps, fractional while playing or scrubbing, from 0 (the state after the wait steps) to the
 * episode's step count (the state after its last action).
 */

/** LIBERO's control rate: one policy step is 1/20 s of simulated time (docs/scene-conventions.md). */
export const CONTROL_HZ = 20;

export const SPEEDS = [0.25, 0.5, 1, 2, 4] as const;
export type Speed = (typeof SPEEDS)[number];

export function isSpeed(value: number): value is Speed {
  return (SPEEDS as readonly number[]).includes(value);
}

export function clampCursor(cursor: number, steps: number): number {
  if (!Number.isFinite(cursor)) return 0;
  return Math.min(Math.max(cursor, 0), Math.max(steps, 0));
}

export interface PlaybackState {
  cursor: number;
  playing: boolean;
}

/**
 * Moves the cursor by `dtMs` of wall time at `speed`. At the end it wraps to the start when looping,
 * else it stops on the last step.
 */
export function advance(state: PlaybackState, dtMs: number, steps: number, speed: number, loop: boolean): PlaybackState {
  if (!state.playing || steps <= 0) return { cursor: clampCursor(state.cursor, steps), playing: state.playing && steps > 0 };
  const next = state.cursor + (Math.max(dtMs, 0) / 1000) * CONTROL_HZ * speed;
  if (next < steps) return { cursor: next, playing: true };
  if (loop) return { cursor: next % steps, playing: true };
  return { cursor: steps, playing: false };
}

/** One whole step back (-1) or forward (+1): a fractional cursor goes to the neighbouring whole step. */
export function stepCursor(cursor: number, direction: -1 | 1, steps: number): number {
  const whole = Math.round(cursor);
  const onStep = Math.abs(cursor - whole) < 1e-6;
  const target = direction > 0 ? (onStep ? whole + 1 : Math.ceil(cursor)) : onStep ? whole - 1 : Math.floor(cursor);
  return clampCursor(target, steps);
}

/** Play from where the cursor is; from the end, play starts again at the beginning. */
export function startPlaying(cursor: number, steps: number): PlaybackState {
  return { cursor: cursor >= steps ? 0 : clampCursor(cursor, steps), playing: steps > 0 };
}

/** The whole step a cursor shows (its row of poses; the action at it is the next one executed). */
export function stepAt(cursor: number, steps: number): number {
  return Math.min(Math.floor(clampCursor(cursor, steps) + 1e-6), steps);
}

/** Seconds of simulated time at a cursor. */
export function secondsAt(cursor: number): number {
  return cursor / CONTROL_HZ;
}

export function speedLabel(speed: number): string {
  return `${speed}x`;
}

/** A mark on the timeline's strip, at `step` (a fraction `at` of the track). */
export interface TimelineMark {
  step: number;
  at: number;
  label: string;
}

const TICK_SPACINGS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];

/**
 * Step ticks at a round spacing (at most `maxTicks` labelled ones), and one mark per chunk at the
 * step its first action ran, labelled `#k` (every n-th label only, so at most `maxChunkLabels`).
 */
export function timelineMarks(steps: number, chunkStarts: readonly number[], maxTicks = 12, maxChunkLabels = 24): { ticks: TimelineMark[]; chunks: (TimelineMark & { labelled: boolean })[] } {
  if (steps <= 0) return { ticks: [], chunks: [] };
  const spacing = TICK_SPACINGS.find((s) => steps / s < maxTicks) ?? Math.ceil(steps / maxTicks);
  const ticks: TimelineMark[] = [];
  for (let s = 0; s <= steps; s += spacing) ticks.push({ step: s, at: s / steps, label: String(s) });
  const every = Math.max(1, Math.ceil(chunkStarts.length / maxChunkLabels));
  const chunks = chunkStarts.map((s, i) => ({ step: s, at: s / steps, label: `#${i + 1}`, labelled: i % every === 0 })).filter((m) => m.step >= 0 && m.step <= steps);
  return { ticks, chunks };
}
