import { describe, expect, it } from 'vitest';
import { runExpertEpisode } from '../../../../engine/expert/episodes.js';
import { expertEpisodes } from '../../../../engine/expert/suite.js';
import { atomName, evaluateGoal, goalAtoms } from '../../../../engine/libero/predicates.js';
import { EmbeddedSimulator } from '../../../../engine/sim/embedded/simulator.js';
import type { StepResult } from '../../../../engine/sim/simulator.js';

// The embedded simulator reports each goal atom's truth per step, from the one evaluation success
// comes from: on a real episode (the scripted expert taking the bowl from the drawer to the plate), success is
// the AND of the atoms at every step, and agrees with evaluating the goal afresh on that state.
describe("the embedded simulator's goal atoms", () => {
  it('come with every step, and success is their AND on a real episode', async () => {
    const sim = await EmbeddedSimulator.create();
    try {
      const [episode] = expertEpisodes('libero_spatial', [4], 1, { kind: 'project', split: 'eval' });
      const atoms = goalAtoms(episode!.task.goal);
      expect(atoms.map(atomName)).toEqual(['On(akita_black_bowl_1, plate_1)']);
      const results: { result: StepResult; fresh: boolean }[] = [];
      const step = sim.step.bind(sim);
      sim.step = async (action) => {
        const result = await step(action);
        results.push({ result, fresh: evaluateGoal(episode!.task.goal, sim.physics.world) });
        return result;
      };
      const { result } = await runExpertEpisode(sim, episode!);
      expect(result.outcome).toBe('success');
      expect(results.length).toBeGreaterThan(20);
      for (const [t, { result: r, fresh }] of results.entries()) {
        expect(r.goalAtoms, `step ${t}`).toHaveLength(atoms.length);
        expect(r.success, `step ${t}`).toBe(r.goalAtoms!.every(Boolean));
        expect(r.success, `step ${t}`).toBe(fresh);
      }
      expect(results.at(-1)!.result.goalAtoms).toEqual([true]);
      expect(results[0]!.result.goalAtoms).toEqual([false]);
    } finally {
      await sim.close();
    }
  }, 120_000);
});
