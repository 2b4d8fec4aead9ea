import { projectTask } from '../libero/project-tasks.js';
import { benchAction, median, timeBareBlock } from './sim-motion.js';
import { suiteTask, WAIT_ACTION } from '../libero/suites.js';
import { EmbeddedPhysics } from '../sim/embedded/physics.js';
import { loadNativeMujoco } from '../sim/embedded/native.js';
import { SUBSTEPS_PER_ENV_STEP } from '../sim/embedded/osc.js';
import { projectInitStates } from '../sim/embedded/project-init-states.js';
import type { TaskSpec } from '../libero/task.js';

/**
 * `rsd bench sim`'s native arm: MuJoCo's WebAssembly build against native MuJoCo 3.14.0 (the pip
 * wheel's libmujoco through native/mujoco/addon.c) on the same scene and the same states, in one
 * process run. Both follow the same actions from the same start; blocks of the four timed kinds
 * (env.step and 25 bare mj_step, each build) alternate, so machine noise hits them alike.
 */

export interface PhysicsComparisonTask {
  task: string;
  /** Median of 25 bare mj_step calls (one env step's physics) per build, and wasm / native. */
  bare: { wasmMs: number; nativeMs: number; ratio: number };
  /** Median env.step (25 substeps + OSC + goal check + observation) per build, and wasm / native. */
  env: { wasmMs: number; nativeMs: number; ratio: number };
  /** Largest |wasm - native| over the proprio (grip site m, axis-angle rad, fingers m) at the last env step of a block, over all blocks. */
  maxProprioDrift: number;
  /**
   * How far the builds drift apart once the arm pushes into the objects (`contactMotion` from the
   * project's first eval state, DRIFT_STEPS env steps): the first env step at which the largest
   * |wasm - native| over proprio and object poses passes 1e-9, 1e-6 and 1e-3 (null: never), and that
   * difference after the last step.
   */
  drift: { over1e9: number | null; over1e6: number | null; over1e3: number | null; final: number };
}

export type PhysicsComparison =
  | { available: true; addon: string; stepsPerTask: number; tasks: PhysicsComparisonTask[] }
  | { available: false; reason: string };


/** A motion that reaches down into the objects (the arm touches them from about env step 30). */
const contactMotion = (t: number) => [0.5 * Math.cos(t / 10), 0.5 * Math.sin(t / 13), t < 40 ? -0.6 : 0.2 * Math.sin(t / 9), 0.1 * Math.sin(t / 11), 0, 0, t % 30 < 15 ? -1 : 1];
const DRIFT_STEPS = 200;

function measureDrift(wasm: EmbeddedPhysics, nat: EmbeddedPhysics, suite: string, taskId: number, task: TaskSpec): PhysicsComparisonTask['drift'] {
  const init = projectInitStates(suite, taskId, 'eval')[0]!;
  wasm.reset(task, init);
  nat.reset(task, init);
  const first: (number | null)[] = [null, null, null];
  let worst = 0;
  let final = 0;
  for (let t = 0; t < DRIFT_STEPS; t++) {
    const a = wasm.step(contactMotion(t)).observation;
    const b = nat.step(contactMotion(t)).observation;
    final = 0;
    a.proprio.forEach((v, i) => (final = Math.max(final, Math.abs(v - b.proprio[i]!))));
    a.objectPoses.forEach((v, i) => (final = Math.max(final, Math.abs(v - b.objectPoses[i]!))));
    worst = Math.max(worst, final);
    [1e-9, 1e-6, 1e-3].forEach((limit, k) => {
      if (first[k] === null && worst > limit) first[k] = t + 1;
    });
  }
  return { over1e9: first[0]!, over1e6: first[1]!, over1e3: first[2]!, final };
}

/** wasm against native on each task's scene, `steps` env steps per kind, in blocks of `block`. */
export async function comparePhysicsBuilds(suite: string, taskIds: readonly number[], steps: number, block: number): Promise<PhysicsComparison> {
  const native = await loadNativeMujoco();
  if ('reason' in native) return { available: false, reason: native.reason };
  const wasm = await EmbeddedPhysics.create({ physics: 'wasm' });
  const nat = await EmbeddedPhysics.create({ physics: 'native' });
  const tasks: PhysicsComparisonTask[] = [];
  try {
    for (const taskId of taskIds) {
      const task = projectTask(suite, taskId);
      const start = wasm.defaultState(task);
      nat.defaultState(task); // compiles the native scene too
      for (const sim of [wasm, nat]) {
        sim.reset(task, start);
        for (let i = 0; i < 10; i++) sim.step(WAIT_ACTION); // warm up both paths
        sim.physicsSteps(SUBSTEPS_PER_ENV_STEP * 10);
      }
      const env = { wasm: [] as number[], native: [] as number[] };
      const bare = { wasm: [] as number[], native: [] as number[] };
      let drift = 0;
      for (let first = 0; env.wasm.length < steps; first += block) {
        const last: ArrayLike<number>[] = [];
        for (const [name, sim] of [['wasm', wasm], ['native', nat]] as const) {
          sim.reset(task, start);
          let proprio: ArrayLike<number> = [];
          for (let t = first; t < first + block; t++) {
            const t0 = performance.now();
            proprio = sim.step(benchAction(t)).observation.proprio;
            env[name].push(performance.now() - t0);
          }
          last.push(proprio);
        }
        drift = Math.max(drift, ...Array.from(last[0]!, (v, i) => Math.abs(v - last[1]![i]!)));
        // Bare physics on the same path: an untimed env step writes the controller's torques, then 25 timed mj_step.
        for (const [name, sim] of [['wasm', wasm], ['native', nat]] as const) timeBareBlock(sim, task, start, first, block, bare[name]);
      }
      const pair = (x: { wasm: number[]; native: number[] }) => {
        const wasmMs = median(x.wasm);
        const nativeMs = median(x.native);
        return { wasmMs, nativeMs, ratio: wasmMs / nativeMs };
      };
      tasks.push({ task: `${taskId}: ${suiteTask(suite, taskId).name}`, bare: pair(bare), env: pair(env), maxProprioDrift: drift, drift: measureDrift(wasm, nat, suite, taskId, task) });
    }
  } finally {
    wasm.close();
    nat.close();
  }
  return { available: true, addon: native.addon, stepsPerTask: steps, tasks };
}

export function formatPhysicsComparison(c: PhysicsComparison): string[] {
  if (!c.available) return [`  native MuJoCo: not measured: ${c.reason}`];
  const lines = [`  native MuJoCo 3.14.0 vs wasm, same scene and states, alternating blocks (${c.stepsPerTask} steps per kind and task):`];
  for (const t of c.tasks) {
    lines.push(`    task ${t.task}`);
    lines.push(`      25 x bare mj_step  wasm ${t.bare.wasmMs.toFixed(3)} ms  native ${t.bare.nativeMs.toFixed(3)} ms  wasm/native ${t.bare.ratio.toFixed(2)} (target <= 1.5)`);
    lines.push(`      env.step           wasm ${t.env.wasmMs.toFixed(3)} ms  native ${t.env.nativeMs.toFixed(3)} ms  wasm/native ${t.env.ratio.toFixed(2)}  (proprio drift <= ${t.maxProprioDrift.toExponential(1)})`);
    const at = (step: number | null) => (step === null ? 'never' : `step ${step}`);
    lines.push(`      drift pushing into the objects: past 1e-9 ${at(t.drift.over1e9)}, 1e-6 ${at(t.drift.over1e6)}, 1e-3 ${at(t.drift.over1e3)}; ${t.drift.final.toExponential(1)} after ${DRIFT_STEPS} steps`);
  }
  if (c.tasks.length > 1) {
    const g = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
    lines.push(`    geometric mean over ${c.tasks.length} scenes: bare wasm/native ${g(c.tasks.map((t) => t.bare.ratio)).toFixed(2)}, env.step wasm/native ${g(c.tasks.map((t) => t.env.ratio)).toFixed(2)}`);
  }
  return lines;
}
