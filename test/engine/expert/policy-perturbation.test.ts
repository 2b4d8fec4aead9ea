import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expert } from '../../../engine/commands/expert.js';
import { runExpertEpisode } from '../../../engine/expert/episodes.js';
import { GAP, perturbationSeed } from '../../../engine/expert/perturbation.js';
import { loadPerturbingPolicy, POLICY_BURST, PolicyPerturbation, type ChunkPolicy } from '../../../engine/expert/policy-perturbation.js';
import { expertWorld } from '../../../engine/expert/scene-model.js';
import { ScriptedExpert } from '../../../engine/expert/scripted.js';
import { expertEpisodes, runExpertSuite } from '../../../engine/expert/suite.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../../../engine/libero/suites.js';
import { EmbeddedSimulator } from '../../../engine/sim/embedded/simulator.js';

const SHIPPED = path.resolve('assets/bundles/default');
const SHIPPED_PARALLEL = path.resolve('assets/bundles/default-parallel');
const EXPERT_ACTION = [0.1, 0.2, 0.3, 0, 0, 0, 1];
const OBS = { proprio: new Float64Array(8), objectPoses: new Float64Array(35), images: {} };

/** A policy whose chunk k holds rows (k, row, dim) in its values, so the test can tell which row ran. */
function countingPolicy(): { policy: ChunkPolicy; calls: () => number } {
  let calls = 0;
  const policy: ChunkPolicy = async () => {
    const k = calls++;
    return Float64Array.from({ length: 56 }, (_, i) => -(k * 100 + Math.floor(i / 7) + (i % 7) / 10));
  };
  return { policy, calls: () => calls };
}

describe('PolicyPerturbation (a trained policy drives the arm in bursts)', () => {
  it("executes the expert's action between bursts, and in a burst the policy's chunk rows in order with the expert's gripper", async () => {
    const { policy, calls } = countingPolicy();
    const p = new PolicyPerturbation(policy, 3);
    const executed: number[][] = [];
    for (let t = 0; t < 600; t++) executed.push(await p.apply(EXPERT_ACTION, OBS));
    const inBurst = new Array<boolean>(600).fill(false);
    for (const [a, b] of p.bursts) for (let t = a; t < b; t++) inBurst[t] = true;
    let chunk = -1;
    let row = 0;
    for (let t = 0; t < 600; t++) {
      const out = executed[t]!;
      if (!inBurst[t]) {
        expect(out).toEqual(EXPERT_ACTION);
        continue;
      }
      // A new chunk at each burst's start and after 8 rows; rows run in order.
      if (p.bursts.some(([a]) => a === t) || row === 8) {
        chunk++;
        row = 0;
      }
      expect(out.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((d) => -(chunk * 100 + row + d / 10)));
      expect(out[6]).toBe(EXPERT_ACTION[6]);
      row++;
    }
    expect(calls()).toBe(chunk + 1);
    p.bursts.forEach(([a, b], i) => {
      if (b === 600) return; // cut short by the end of the loop
      expect(b - a).toBeGreaterThanOrEqual(POLICY_BURST[0]);
      expect(b - a).toBeLessThanOrEqual(POLICY_BURST[1]);
      const next = p.bursts[i + 1];
      if (next) expect(next[0] - b).toBeGreaterThanOrEqual(GAP[0]);
    });
    expect(p.bursts.length).toBeGreaterThan(15);
  });

  it('is seeded: the same seed gives the same bursts, another seed others', async () => {
    const bursts = async (seed: number) => {
      const p = new PolicyPerturbation(countingPolicy().policy, seed);
      for (let t = 0; t < 200; t++) await p.apply(EXPERT_ACTION, OBS);
      return p.bursts;
    };
    expect(await bursts(9)).toEqual(await bursts(9));
    expect(await bursts(9)).not.toEqual(await bursts(10));
  });

  it('runs each initial state once per policy, seeded apart from the noise levels', () => {
    const episodes = expertEpisodes('libero_spatial', [0], 2, { kind: 'project', split: 'demo' }, [0], 5, [{ bundle: SHIPPED }, { bundle: SHIPPED_PARALLEL }]);
    expect(episodes.map((e) => [e.initIndex, e.policy?.bundle ?? null])).toEqual([[0, null], [0, SHIPPED], [0, SHIPPED_PARALLEL], [1, null], [1, SHIPPED], [1, SHIPPED_PARALLEL]]);
    expect(episodes[1]!.policy!.seed).toBe(perturbationSeed(5, 0, 0, 1000));
    expect(episodes[2]!.policy!.seed).toBe(perturbationSeed(5, 0, 0, 1001));
    expect(expertEpisodes('libero_spatial', [0], 1, { kind: 'project', split: 'demo' }, [], 0, [{ bundle: SHIPPED }]).map((e) => e.policy?.bundle)).toEqual([SHIPPED]);
  });
});

describe('policy-perturbed expert episodes with the shipped bundle', () => {
  it("execute the policy's arm actions in bursts but record the expert's own, naming the bundle", async () => {
    const sim = await EmbeddedSimulator.create();
    const policy = await loadPerturbingPolicy(SHIPPED);
    try {
      expect(policy.strategy).toBe('speculative');
      const [clean, driven] = expertEpisodes('libero_spatial', [0], 1, { kind: 'project', split: 'demo' }, [0], 0, [{ bundle: SHIPPED }]);
      const a = await runExpertEpisode(sim, clean!, { record: true, maxSteps: 60 });
      const b = await runExpertEpisode(sim, driven!, { record: true, maxSteps: 60 }, policy);
      expect(b.result.outcome).not.toBe('error');
      expect(b.result.policy).toBe(SHIPPED);
      expect(b.demo!.policy).toEqual({ name: policy.bundle.manifest.name, contentHash: policy.bundle.hash, decoding: 'speculative' });
      expect(b.demo!.noise).toBeUndefined();
      expect(b.demo!.perturbedSteps!.length).toBeGreaterThan(0);
      expect(a.demo!.policy).toBeUndefined();
      // The policy moved the arm its own way: the visited states differ from the clean episode's.
      const last = 8 * (Math.min(a.demo!.steps, b.demo!.steps) - 1);
      expect(Array.from(b.demo!.proprio.slice(last, last + 3))).not.toEqual(Array.from(a.demo!.proprio.slice(last, last + 3)));
      // A fresh expert fed the recorded observations says the recorded actions: the expert's.
      let observation = await sim.reset(driven!.task, driven!.init);
      for (let t = 0; t < NUM_WAIT_STEPS; t++) observation = (await sim.step(WAIT_ACTION)).observation;
      const world = expertWorld(sim.physics);
      const fresh = new ScriptedExpert(driven!.task);
      const demo = b.demo!;
      const O = demo.objectPoses.length / demo.steps;
      let worst = 0;
      for (let t = 0; t < demo.steps; t++) {
        const obs = { ...observation, proprio: Float64Array.from(demo.proprio.subarray(8 * t, 8 * t + 8)), objectPoses: Float64Array.from(demo.objectPoses.subarray(O * t, O * t + O)) };
        const action = fresh.act(obs, world);
        worst = Math.max(worst, ...action.map((v, i) => Math.abs(v - demo.actions[7 * t + i]!)));
      }
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await policy.close();
    }
  });

  it('run through the worker pool, the bundle loaded in the worker', async () => {
    const report = await runExpertSuite({ suite: 'libero_spatial', tasks: [0], trials: 1, initSource: { kind: 'project', split: 'demo' }, noise: [], policies: [{ bundle: SHIPPED_PARALLEL }], workers: 1, record: true, maxSteps: 30 });
    expect(report.runs).toHaveLength(1);
    const run = report.runs[0]!;
    expect(run.result.error).toBeUndefined();
    expect(run.demo!.policy!.decoding).toBe('parallel');
    expect(run.demo!.steps).toBe(30);
  });

  it('a bad policy bundle is refused before anything runs, naming the flag and the folder', async () => {
    await expect(expert(['--tasks', '0', '--trials', '1', '--policy', '/nonexistent/bundle'])).rejects.toThrow(/--policy \/nonexistent\/bundle: .*bundle\.json/);
    await expect(expert(['--tasks', '0', '--trials', '1', '--policy', SHIPPED_PARALLEL, '--policy-decoding', 'speculative'])).rejects.toThrow(/--policy .*cannot decode "speculative"/);
    await expect(expert(['--tasks', '0', '--no-clean'])).rejects.toThrow(/--no-clean .* --policy/);
  });
});
