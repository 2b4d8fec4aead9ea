import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import type { ReplayEpisode } from '../../renderer/src/components/replay/episode.js';
import { goalRuns, holdsAt, runText } from '../../renderer/src/components/replay/goal.js';
import { GoalStrip } from '../../renderer/src/components/replay/GoalStrip.js';
import type { ReplayScene } from '../../renderer/src/components/replay/scene.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';

// The goal strip under the Replay timeline (issue 19 item 5): one lane per goal atom, filled where
// it holds, the cursor across the lanes, and a plain sentence for trajectories without goal rows.

const ATOMS = ['On(akita_black_bowl_1, plate_1)', 'Open(wooden_cabinet_1_top_region)'];
/** 6 steps, 7 rows: the drawer is open from step 2 on; the bowl is on the plate at steps 4-6. */
const TRUTH = Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1]);

function episodeWith(goal: ReplayEpisode['goal']): ReplayEpisode {
  const steps = 6;
  return {
    runId: 'run-a', taskId: 0, trial: 0, initIndex: 0, instruction: 'x', outcome: 'success', error: null, steps, maxSteps: 10, bodies: 0,
    poses: new Float32Array(0), proprio: new Float32Array((steps + 1) * 8), actions: new Float32Array(steps * 7), chunks: [], cameras: null, goal,
  };
}

function renderStrip(episode: ReplayEpisode) {
  const store = createAppStore();
  const scene = { bodies: [] } as unknown as ReplayScene;
  store.setState({ replayEpisode: { status: 'ready', taskId: 0, trial: 0, episode, scene } });
  render(
    <StoreProvider store={store}>
      <GoalStrip episode={episode} />
    </StoreProvider>,
  );
  return store;
}

describe('goal runs', () => {
  test('cover every row of an atom, in order, and say when they held', () => {
    expect(goalRuns(TRUTH, 2, 0)).toEqual([{ from: 0, to: 3, holds: false }, { from: 4, to: 6, holds: true }]);
    expect(goalRuns(TRUTH, 2, 1)).toEqual([{ from: 0, to: 1, holds: false }, { from: 2, to: 6, holds: true }]);
    expect(runText('On(bowl, plate)', { from: 143, to: 220, holds: true }, 220)).toBe('On(bowl, plate): true from step 143');
    expect(runText('On(bowl, plate)', { from: 0, to: 142, holds: false }, 220)).toBe('On(bowl, plate): false from step 0 to step 142');
    expect(runText('On(bowl, plate)', { from: 9, to: 9, holds: true }, 220)).toBe('On(bowl, plate): true at step 9 only');
    expect(holdsAt(TRUTH, 2, 1, 2)).toBe(true);
    expect(holdsAt(TRUTH, 2, 0, 2)).toBe(false);
  });
});

describe('GoalStrip', () => {
  test('one named lane per atom, filled where it holds, with the truth at the cursor and the cursor across the lanes', () => {
    const store = renderStrip(episodeWith({ atoms: ATOMS, truth: TRUTH }));
    const strip = screen.getByRole('group', { name: 'Goal predicates' });
    const lanes = within(strip).getAllByTestId('replay-goal-lane');
    expect(lanes.map((l) => l.querySelector('.replay-goal-name')!.textContent)).toEqual(ATOMS);
    // Filled runs: the bowl from step 4 (3 of 7 rows), the drawer from step 2.
    const filled = lanes.map((l) => [...l.querySelectorAll<HTMLElement>('.replay-goal-run.holds')]);
    expect(filled[0]!.map((r) => r.title)).toEqual(['On(akita_black_bowl_1, plate_1): true from step 4']);
    expect(filled[0]![0]!.style.left).toBe(`${(4 / 7) * 100}%`);
    expect(filled[0]![0]!.style.width).toBe(`${(3 / 7) * 100}%`);
    expect(filled[1]!.map((r) => r.title)).toEqual(['Open(wooden_cabinet_1_top_region): true from step 2']);
    expect(within(lanes[0]!).getByLabelText(`${ATOMS[0]} at step 0`)).toHaveTextContent('false');

    act(() => store.getState().seekReplay(5));
    expect(within(lanes[0]!).getByLabelText(`${ATOMS[0]} at step 5`)).toHaveTextContent('true');
    expect(within(lanes[1]!).getByLabelText(`${ATOMS[1]} at step 5`)).toHaveTextContent('true');
    const cursors = [...strip.querySelectorAll<HTMLElement>('.replay-goal-cursor')];
    expect(cursors).toHaveLength(2);
    for (const c of cursors) expect(c.style.left).toBe(`${(5.5 / 7) * 100}%`);
  });

  test('pressing a lane moves the cursor to that step and pauses', () => {
    const store = renderStrip(episodeWith({ atoms: ATOMS, truth: TRUTH }));
    store.getState().setReplayPlaying(true);
    const track = screen.getAllByTestId('replay-goal-lane')[1]!.querySelector<HTMLElement>('.replay-goal-track')!;
    track.getBoundingClientRect = () => ({ left: 100, width: 700, top: 0, height: 14, right: 800, bottom: 14, x: 100, y: 0, toJSON: () => ({}) });
    fireEvent.pointerDown(track, { clientX: 100 + 350 });
    expect(store.getState().replayCursor).toBe(3);
    expect(store.getState().replayPlaying).toBe(false);
  });

  test('a trajectory without goal rows says so instead of showing an empty strip', () => {
    renderStrip(episodeWith(null));
    expect(screen.queryByRole('group', { name: 'Goal predicates' })).toBeNull();
    expect(screen.getByTestId('replay-goal-none')).toHaveTextContent(/^This trajectory has no goal-predicate rows \(recorded before the engine kept them/);
  });
});
