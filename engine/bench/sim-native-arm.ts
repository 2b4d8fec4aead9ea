import { projectTask } from '../libero/project-tasks.js';
import { suiteTask, WAIT_ACTION } from '../libero/suites.js';
import { EmbeddedPhysics } from '../sim/embedded/physics.js';
import { loadNativeMujoco } from '../sim/embedded/native.js';
import { SUBSTEPS_PER_ENV_STEP } from '../sim/embedded/osc.js';

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
}

export type PhysicsComparison =
  | { available: true; addon: string; stepsPerTask: number; tasks: PhysicsComparisonTask[] }
  | { available: false; reason: string };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The arm moving as under a policy (the same motion as the rest of `rsd bench sim`). */
const action = (t: number) => [0.3 * Math.cos(t / 15), 0.3 * Math.sin(t / 15), 0.1 * Math.sin(t / 7), 0, 0, 0, t % 40 < 20 ? -1 : 1];

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
            proprio = sim.step(action(t)).observation.proprio;
            env[name].push(performance.now() - t0);
          }
          last.push(proprio);
        }
        drift = Math.max(drift, ...Array.from(last[0]!, (v, i) => Math.abs(v - last[1]![i]!)));
        // Bare physics on the same path: an untimed env step writes the controller's torques, then 25 timed mj_step.
        for (const [name, sim] of [['wasm', wasm], ['native', nat]] as const) {
          sim.reset(task, start);
          for (let t = first; t < first + block; t++) {
            sim.step(action(t));
            const t0 = performance.now();
            sim.physicsSteps(SUBSTEPS_PER_ENV_STEP);
            bare[name].push(performance.now() - t0);
          }
        }
      }
      const pair = (x: { wasm: number[]; native: number[] }) => {
        const wasmMs = median(x.wasm);
        const nativeMs = median(x.native);
        return { wasmMs, nativeMs, ratio: wasmMs / nativeMs };
      };
      tasks.push({ task: `${taskId}: ${suiteTask(suite, taskId).name}`, bare: pair(bare), env: pair(env), maxProprioDrift: drift });
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
  }
  if (c.tasks.length > 1) {
    const g = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
    lines.push(`    geometric mean over ${c.tasks.length} scenes: bare wasm/native ${g(c.tasks.map((t) => t.bare.ratio)).toFixed(2)}, env.step wasm/native ${g(c.tasks.map((t) => t.env.ratio)).toFixed(2)}`);
  }
  return lines;
}
