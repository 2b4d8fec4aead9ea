import { describe, expect, it } from 'vitest';
import { parseNoise } from '../../../engine/commands/expert.js';
import { runExpertEpisode } from '../../../engine/expert/episodes.js';
import { ActionPerturbation, BURST, GAP, perturbationSeed, RHO } from '../../../engine/expert/perturbation.js';
import { expertWorld } from '../../../engine/expert/scene-model.js';
import { ScriptedExpert } from '../../../engine/expert/scripted.js';
import { expertEpisodes } from '../../../engine/expert/suite.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../../../engine/libero/suites.js';
import { EmbeddedSimulator } from '../../../engine/sim/embedded/simulator.js';

const ACTION = [0.2, -0.3, 0.1, 0.05, -0.05, 0.01, 1];

describe('ActionPerturbation (DART-style noise on executed actions)', () => {
  it('with std 0 executes the action as given', () => {
    const p = new ActionPerturbation(0, 1);
    expect(p.apply(ACTION)).toEqual(ACTION);
  });

  it('perturbs only the translation dims, within [-1, 1], and leaves its input alone', () => {
    const p = new ActionPerturbation(0.5, 7);
    const input = [...ACTION];
    for (let t = 0; t < 200; t++) {
      const out = p.apply(input);
      expect(out.slice(3)).toEqual(ACTION.slice(3));
      for (const v of out.slice(0, 3)) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    expect(input).toEqual(ACTION);
  });

  it('is seeded: the same seed gives the same noise, another seed other noise', () => {
    const run = (seed: number) => {
      const p = new ActionPerturbation(0.1, seed);
      return Array.from({ length: 20 }, () => p.apply([0, 0, 0, 0, 0, 0, -1]));
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
    expect(perturbationSeed(0, 1, 2, 3)).toBe(perturbationSeed(0, 1, 2, 3));
    expect(new Set([perturbationSeed(0, 1, 2, 3), perturbationSeed(0, 1, 2, 2), perturbationSeed(0, 2, 1, 3), perturbationSeed(1, 1, 2, 3)]).size).toBe(4);
  });

  it('perturbs in bursts, quiet for at least a chunk in between, and reports the bursts', () => {
    const p = new ActionPerturbation(0.1, 5);
    const base = [0, 0, 0, 0, 0, 0, -1];
    const noisy = Array.from({ length: 2000 }, () => p.apply(base)[0] !== 0);
    const fromBursts = new Array<boolean>(2000).fill(false);
    for (const [a, b] of p.bursts) for (let t = a; t < b; t++) fromBursts[t] = true;
    expect(fromBursts).toEqual(noisy);
    p.bursts.forEach(([a, b], i) => {
      expect(b - a).toBeGreaterThanOrEqual(BURST[0]);
      expect(b - a).toBeLessThanOrEqual(BURST[1]);
      const next = p.bursts[i + 1];
      if (next) expect(next[0] - b).toBeGreaterThanOrEqual(GAP[0]);
    });
    expect(p.bursts.length).toBeGreaterThan(50);
  });

  it('has the std it is given and the AR(1) correlation RHO between steps of a burst', () => {
    const std = 0.1;
    const p = new ActionPerturbation(std, 11);
    const xs: number[] = [];
    const pairs: [number, number][] = [];
    let previous: number | undefined;
    for (let t = 0; t < 100000; t++) {
      const x = p.apply([0, 0, 0, 0, 0, 0, -1])[0]!;
      const inBurst = p.bursts.length > 0 && p.bursts[p.bursts.length - 1]![1] === t + 1;
      if (inBurst) {
        xs.push(x);
        if (previous !== undefined && p.bursts[p.bursts.length - 1]![0] < t) pairs.push([previous, x]);
      }
      previous = inBurst ? x : undefined;
    }
    const sd = Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / xs.length);
    expect(sd).toBeGreaterThan(0.95 * std);
    expect(sd).toBeLessThan(1.05 * std);
    const lag1 = pairs.reduce((a, [u, v]) => a + u * v, 0) / pairs.length / (sd * sd);
    expect(lag1).toBeCloseTo(RHO, 1);
  });

  it('refuses a negative or non-finite std', () => {
    expect(() => new ActionPerturbation(-0.1, 0)).toThrow(/std/);
    expect(() => new ActionPerturbation(Number.NaN, 0)).toThrow(/std/);
  });

  it('rsd expert --noise: levels in [0, 1], named on error', () => {
    expect(parseNoise(undefined)).toEqual([0]);
    expect(parseNoise('0, 0.1,0.3')).toEqual([0, 0.1, 0.3]);
    expect(() => parseNoise('0,x')).toThrow(/--noise/);
    expect(() => parseNoise('2')).toThrow(/--noise/);
    expect(() => parseNoise('')).toThrow(/--noise/);
  });
});

describe('perturbed expert episodes', () => {
  it('run each initial state once per level, seeded per (task, state, level)', () => {
    const episodes = expertEpisodes('libero_spatial', [0], 2, { kind: 'project', split: 'demo' }, [0, 0.2], 5);
    expect(episodes.map((e) => [e.initIndex, e.perturbation?.std ?? 0])).toEqual([[0, 0], [0, 0.2], [1, 0], [1, 0.2]]);
    expect(episodes[1]!.perturbation!.seed).toBe(perturbationSeed(5, 0, 0, 1));
  });

  it('execute the noisy action but record the expert\'s own, so the demonstration shows its corrections', async () => {
    const sim = await EmbeddedSimulator.create();
    const [clean, noisy] = expertEpisodes('libero_spatial', [0], 1, { kind: 'project', split: 'demo' }, [0, 0.3], 0);
    const a = await runExpertEpisode(sim, clean!, { record: true, maxSteps: 60 });
    const b = await runExpertEpisode(sim, noisy!, { record: true, maxSteps: 60 });
    expect(b.result.noise).toBe(0.3);
    expect(b.demo!.noise).toBe(0.3);
    expect(b.demo!.perturbedSteps!.length).toBeGreaterThan(0);
    expect(a.demo!.noise).toBeUndefined();
    expect(a.demo!.perturbedSteps).toBeUndefined();
    // The noise moved the arm: the visited states differ from the clean episode's.
    expect(Array.from(b.demo!.proprio.slice(8 * 59, 8 * 59 + 3))).not.toEqual(Array.from(a.demo!.proprio.slice(8 * 59, 8 * 59 + 3)));
    // A fresh expert fed the recorded observations says the recorded actions (up to the float32
    // rounding of the recorded observations): they are the expert's, not the executed ones, which
    // differ by the noise (std 0.3).
    let observation = await sim.reset(noisy!.task, noisy!.init);
    for (let t = 0; t < NUM_WAIT_STEPS; t++) observation = (await sim.step(WAIT_ACTION)).observation;
    const world = expertWorld(sim.physics);
    const expert = new ScriptedExpert(noisy!.task);
    const demo = b.demo!;
    const P = 8;
    const O = demo.objectPoses.length / demo.steps;
    let worst = 0;
    for (let t = 0; t < demo.steps; t++) {
      const obs = { ...observation, proprio: Float64Array.from(demo.proprio.subarray(P * t, P * t + P)), objectPoses: Float64Array.from(demo.objectPoses.subarray(O * t, O * t + O)) };
      const action = expert.act(obs, world);
      const recorded = demo.actions.subarray(7 * t, 7 * t + 7);
      worst = Math.max(worst, ...action.map((v, i) => Math.abs(v - recorded[i]!)));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
