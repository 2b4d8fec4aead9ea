import { useEffect, useMemo, useRef } from 'react';
import { useApp } from '../../store/context.js';
import type { ReplayEpisode } from './episode.js';
import { goalRuns, holdsAt, runText } from './goal.js';
import { clampCursor, stepAt } from './timeline.js';

/**
 * The task's goal predicates along the episode, under the timeline: one lane per atom of the goal,
 * filled where it holds, with the cursor across the lanes. Row r (the state after r steps) takes
 * 1/(steps + 1) of a lane. Clicking a lane seeks there; hovering a run says when it held.
 */
export function GoalStrip({ episode }: { episode: ReplayEpisode }) {
  const { goal, steps } = episode;
  const rows = steps + 1;
  const step = useApp((s) => stepAt(s.replayCursor, steps));
  const seek = useApp((s) => s.seekReplay);
  const setPlaying = useApp((s) => s.setReplayPlaying);
  const subscribe = useApp((s) => s.subscribeReplayCursor);
  const strip = useRef<HTMLDivElement>(null);
  const lanes = useMemo(() => (goal ? goal.atoms.map((name, a) => ({ name, runs: goalRuns(goal.truth, goal.atoms.length, a) })) : []), [goal]);

  // The cursor moves every frame while playing: set through a store subscription, not a re-render.
  useEffect(
    () =>
      subscribe((c) => {
        const at = `${((clampCursor(c, steps) + 0.5) / rows) * 100}%`;
        strip.current?.querySelectorAll<HTMLElement>('.replay-goal-cursor').forEach((el) => (el.style.left = at));
      }),
    [subscribe, steps, rows, lanes],
  );

  if (!goal)
    return (
      <p className="muted replay-goal-none" data-testid="replay-goal-none">
        This trajectory has no goal-predicate rows (recorded before the engine kept them, or by a simulator that does not report its goal's atoms), so there is
        no goal strip for it.
      </p>
    );

  const seekAt = (e: React.PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    if (box.width <= 0) return;
    setPlaying(false);
    seek(Math.min(steps, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * rows))));
  };

  return (
    <div className="replay-goal-strip" role="group" aria-label="Goal predicates" data-testid="replay-goal-strip" ref={strip}>
      {lanes.map(({ name, runs }, a) => {
        const holds = holdsAt(goal.truth, goal.atoms.length, a, step);
        return (
          <div className="replay-goal-lane" key={name + a} data-testid="replay-goal-lane">
            <span className="replay-goal-name" title={name}>
              {name}
            </span>
            <span className={holds ? 'replay-goal-now holds' : 'replay-goal-now'} aria-label={`${name} at step ${step}`}>
              {holds ? 'true' : 'false'}
            </span>
            <div className="replay-goal-track" onPointerDown={seekAt}>
              {runs.map((run) => (
                <span
                  key={run.from}
                  className={run.holds ? 'replay-goal-run holds' : 'replay-goal-run'}
                  style={{ left: `${(run.from / rows) * 100}%`, width: `${((run.to - run.from + 1) / rows) * 100}%` }}
                  title={runText(name, run, steps)}
                />
              ))}
              <span className="replay-goal-cursor" aria-hidden="true" />
            </div>
          </div>
        );
      })}
    </div>
  );
}
