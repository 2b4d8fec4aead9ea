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
