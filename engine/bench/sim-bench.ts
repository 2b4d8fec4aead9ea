import type { EmbeddedPhysics as Physics } from '../sim/embedded/physics.js';
import { projectTask } from '../libero/project-tasks.js';
import { benchAction, median, timeBareBlock } from './sim-motion.js';
import { suiteTask, WAIT_ACTION } from '../libero/suites.js';
import { embeddedPhysics } from '../sim/embedded/simulator.js';
import { createSimulator } from '../sim/factory.js';
import { SUBSTEPS_PER_ENV_STEP } from '../sim/embedded/osc.js';
import { LIBERO_CAMERAS } from '../sim/cameras.js';
import type { PhysicsBuild } from '../sim/embedded/mujoco-api.js';
import { comparePhysicsBuilds, formatPhysicsComparison, type PhysicsComparison } from './sim-native-arm.js';

export interface SimBenchOptions {
  suite?: string;
  task?: number;
  /** Env steps timed per method (interleaved in blocks). */
  steps?: number;
  block?: number;
  /** Side of the two cameras (agentview and wrist) timed beside the physics; 0 skips them. */
  cameraSize?: number;
  /** The MuJoCo build of the env.step / bare / cameras figures (default wasm). */
  physics?: PhysicsBuild;
  /** Scenes of the native-vs-wasm comparison (default: `task`); [] skips it. */
  compareTasks?: readonly number[];
  /** Env steps per kind and scene in that comparison (default `steps`). */
  compareSteps?: number;
}

export interface SimBenchReport {
  suite: string;
  task: string;
  mujoco: string;
  steps: number;
  /** Median wall time of one env.step: 25 substeps with the OSC controller, the goal check and the observation. */
  envStepMedianMs: number;
  /** Median wall time of 25 bare mj_step calls on the same scene, same run. */
  bareStepsMedianMs: number;
  /** envStepMedianMs / bareStepsMedianMs. */
  ratio: number;
  /**
   * LIBERO's two cameras rendered into each observation: the same steps on a simulator that
   * renders them, paired step by step with the camera-less one (same actions, same states).
   */
  cameras: {
    names: string[];
    width: number;
    height: number;
    /** Median env.step with both cameras rendered. */
    envStepMedianMs: number;
    /** Median over steps of (step with cameras - the same step without): the render's cost. */
    renderMedianMs: number;
    /** 1000 / renderMedianMs: observations (both cameras) rendered per second on this core. */
    framesPerSecond: number;
  } | null;
  machine: { cpus: number; cpuModel: string; node: string };
  /** wasm against native MuJoCo on the same scenes and states (sim-native-arm.ts); null when skipped. */
  native: PhysicsComparison | null;
}

/**
 * env.step against its physics floor, in one process run on one scene: blocks of env steps and of
 * 25 bare mj_step calls alternate from the same starting state, so machine noise hits both alike.
 * The arm moves (a slow circle with the gripper closing and opening), as under a policy.
 */
export async function runSimBench(options: SimBenchOptions = {}): Promise<SimBenchReport> {
  const { default: os } = await import('node:os');
  const suite = options.suite ?? 'libero_spatial';
  const taskId = options.task ?? 0;
  const steps = options.steps ?? 400;
  const block = options.block ?? 20;
  const task = projectTask(suite, taskId);
  // The physics floor is the embedded backend's; timed on its synchronous calls.
  const physics = options.physics ?? 'wasm';
  const sim = embeddedPhysics(await createSimulator({ kind: 'embedded', physics }), 'rsd bench sim');
  const size = options.cameraSize ?? 128;
  const cameraRequests = size > 0 ? LIBERO_CAMERAS.map((name) => ({ name, width: size, height: size })) : [];
  const withCameras = size > 0 ? embeddedPhysics(await createSimulator({ kind: 'embedded', physics }, { cameras: cameraRequests }), 'rsd bench sim') : null;
  const start = sim.defaultState(task);
  const env: number[] = [];
  const bare: number[] = [];
  const camEnv: number[] = [];
  const renderCost: number[] = [];
  try {
    sim.reset(task, start);
    for (let i = 0; i < 10; i++) sim.step(WAIT_ACTION); // warm up both paths
    sim.physicsSteps(SUBSTEPS_PER_ENV_STEP * 10);
    for (let first = 0; env.length < steps; first += block) {
      sim.reset(task, start);
      for (let t = first; t < first + block; t++) {
        const t0 = performance.now();
        sim.step(benchAction(t));
        env.push(performance.now() - t0);
      }
      // The same motion, but each timed interval is 25 bare mj_step calls with the torques the
      // controller last wrote (an untimed env step in between keeps the arm on the same path).
      timeBareBlock(sim, task, start, first, block, bare);
      if (!withCameras) continue;
      // The same motion with the cameras on, each step paired with the camera-less one.
      sim.reset(task, start);
      withCameras.reset(task, start);
      for (let t = first; t < first + block; t++) {
        const t0 = performance.now();
        sim.step(benchAction(t));
        const t1 = performance.now();
        withCameras.step(benchAction(t));
        const t2 = performance.now();
        camEnv.push(t2 - t1);
        renderCost.push(t2 - t1 - (t1 - t0));
      }
    }
  } finally {
    sim.close();
    withCameras?.close();
  }
  const native = await nativeArm(suite, options.compareTasks ?? [taskId], options.compareSteps ?? steps, block);
  const renderMedianMs = renderCost.length > 0 ? median(renderCost) : 0;
  const envStepMedianMs = median(env);
  const bareStepsMedianMs = median(bare);
  return {
    suite,
    task: `${taskId}: ${suiteTask(suite, taskId).name}`,
    mujoco: sim.version,
    steps,
    envStepMedianMs,
    bareStepsMedianMs,
    ratio: envStepMedianMs / bareStepsMedianMs,
    cameras: withCameras
      ? { names: cameraRequests.map((c) => c.name), width: size, height: size, envStepMedianMs: median(camEnv), renderMedianMs, framesPerSecond: 1000 / renderMedianMs }
      : null,
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.versions.node },
    native,
  };
}

/** The native-vs-wasm comparison after the main figures (its own function: other arms join this bench). */
async function nativeArm(suite: string, tasks: readonly number[], steps: number, block: number): Promise<PhysicsComparison | null> {
  return tasks.length > 0 ? comparePhysicsBuilds(suite, tasks, steps, block) : null;
}

export function formatSimBench(r: SimBenchReport): string {
  return [
    `rsd bench sim: ${r.suite}, ${r.task}`,
    `  ${r.mujoco}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ${r.machine.node}, ${r.steps} steps per method`,
    `  env.step (25 substeps + OSC + goal check)  median ${r.envStepMedianMs.toFixed(3)} ms`,
    `  25 x bare mj_step                          median ${r.bareStepsMedianMs.toFixed(3)} ms`,
    `  ratio                                      ${r.ratio.toFixed(3)} (target <= 1.3)`,
    ...(r.cameras
      ? [
          `  env.step with ${r.cameras.names.join(' + ')} at ${r.cameras.width}x${r.cameras.height}  median ${r.cameras.envStepMedianMs.toFixed(3)} ms`,
          `  the two cameras (paired per step)          median ${r.cameras.renderMedianMs.toFixed(3)} ms = ${r.cameras.framesPerSecond.toFixed(0)} frames/s (target >= 200)`,
        ]
      : []),
    ...(r.native ? formatPhysicsComparison(r.native) : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Issue 20: the pruned collision model against the old scene (assets/contact-pruning.ts)

/** The pruning bench's simulators: the old scene, the pruned one, and the pruned one on native MuJoCo. */
type Arm = 'old' | 'pruned' | 'prunedNative';

export interface PruningBenchOptions {
  suite?: string;
  tasks?: readonly number[];
  /** Env steps timed per scene and per task (and as many 25-step bare blocks). */
  steps?: number;
  block?: number;
}

export interface PruningTaskReport {
  task: string;
  /** Median env.step, old scene / pruned scene, ms. */
  envStepOldMs: number;
  envStepNewMs: number;
  /** Median of 25 bare mj_step calls, old / pruned, ms. */
  bareOldMs: number;
  bareNewMs: number;
  /** new / old, medians. */
  envRatio: number;
  bareRatio: number;
  /** Mean contacts after an env step, old / pruned. */
  contactsOld: number;
  contactsNew: number;
  /** The pruned scene on native MuJoCo (null where the addon does not load): median env.step, ms, and / old (wasm). */
  envStepNativeMs: number | null;
  envRatioNative: number | null;
}

export interface PruningBenchReport {
  suite: string;
  mujoco: string;
  steps: number;
  tasks: PruningTaskReport[];
  /** Over all tasks' steps: median pruned env.step / median old env.step, and the same for 25 bare mj_step. */
  envRatio: number;
  bareRatio: number;
  /** Over all tasks: the pruned scene on native MuJoCo against the old scene on the WebAssembly build (today's env.step); null without the addon. */
  envRatioNative: number | null;
  /** Why there is no native arm, where there is none. */
  nativeAbsent: string | null;
  machine: SimBenchReport['machine'];
}

/**
 * The old and the pruned scene of each task, in one process, from the same state (the project's
 * evaluation init state 0) through the same arm motion as runSimBench: blocks of env steps and of 25
 * bare mj_step calls alternate between the two scenes (old-new, then new-old), so machine noise hits
 * both alike. The two scenes diverge only where the plate or the ramekin are touched.
 */
export async function runPruningBench(options: PruningBenchOptions = {}): Promise<PruningBenchReport> {
  const { default: os } = await import('node:os');
  const { EmbeddedPhysics } = await import('../sim/embedded/physics.js');
  const { projectInitStates } = await import('../sim/embedded/project-init-states.js');
  const suite = options.suite ?? 'libero_spatial';
  const tasks = options.tasks ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const steps = options.steps ?? 100;
  const block = options.block ?? 20;
  // Issue 20's whole change beside its parts: the pruned scene on native MuJoCo, where the addon loads.
  const { loadNativeMujoco } = await import('../sim/embedded/native.js');
  const native = await loadNativeMujoco();
  const nativeAbsent = 'reason' in native ? native.reason : null;
  const sims: Partial<Record<Arm, Physics>> = { old: await EmbeddedPhysics.create({ contactPruning: false }), pruned: await EmbeddedPhysics.create({ contactPruning: true }) };
  if (!nativeAbsent) sims.prunedNative = await EmbeddedPhysics.create({ contactPruning: true, physics: 'native' });
  const arms = Object.keys(sims) as Arm[];
  const all = { env: { old: [] as number[], pruned: [] as number[], prunedNative: [] as number[] }, bare: { old: [] as number[], pruned: [] as number[] } };
  const reports: PruningTaskReport[] = [];
  try {
    for (const taskId of tasks) {
      const task = projectTask(suite, taskId);
      const start = projectInitStates(suite, taskId, 'eval')[0]!;
      const env = { old: [] as number[], pruned: [] as number[], prunedNative: [] as number[] };
      const bare = { old: [] as number[], pruned: [] as number[] };
      const contacts = { old: 0, pruned: 0 };
      for (const sim of Object.values(sims) as Physics[]) {
        sim.reset(task, start); // compiles the task's scene; warm up both paths
        for (let i = 0; i < 5; i++) sim.step(WAIT_ACTION);
        sim.physicsSteps(SUBSTEPS_PER_ENV_STEP * 5);
      }
      for (let first = 0, k = 0; env.old.length < steps; first += block, k++) {
        const order = k % 2 === 0 ? (['old', 'pruned'] as const) : (['pruned', 'old'] as const);
        // every arm first once in a while: the rotation of all arms by k
        for (const which of arms.map((_, i) => arms[(i + k) % arms.length]!)) {
          const sim = sims[which]!;
          sim.reset(task, start);
          for (let t = first; t < first + block; t++) {
            const t0 = performance.now();
            sim.step(benchAction(t));
            env[which].push(performance.now() - t0);
            if (which !== 'prunedNative') contacts[which] += sim.contactCount;
          }
        }
        for (const which of order) timeBareBlock(sims[which]!, task, start, first, block, bare[which]);
      }
      for (const which of ['old', 'pruned'] as const) {
        all.env[which].push(...env[which]);
        all.bare[which].push(...bare[which]);
      }
      all.env.prunedNative.push(...env.prunedNative);
      reports.push({
        task: `${taskId}: ${suiteTask(suite, taskId).name}`,
        envStepOldMs: median(env.old),
        envStepNewMs: median(env.pruned),
        bareOldMs: median(bare.old),
        bareNewMs: median(bare.pruned),
        envRatio: median(env.pruned) / median(env.old),
        bareRatio: median(bare.pruned) / median(bare.old),
        contactsOld: contacts.old / env.old.length,
        contactsNew: contacts.pruned / env.pruned.length,
        envStepNativeMs: nativeAbsent ? null : median(env.prunedNative),
        envRatioNative: nativeAbsent ? null : median(env.prunedNative) / median(env.old),
      });
    }
  } finally {
    for (const sim of Object.values(sims) as Physics[]) sim.close();
  }
  return {
    suite,
    mujoco: sims.old!.version,
    steps,
    tasks: reports,
    envRatio: median(all.env.pruned) / median(all.env.old),
    bareRatio: median(all.bare.pruned) / median(all.bare.old),
    envRatioNative: nativeAbsent ? null : median(all.env.prunedNative) / median(all.env.old),
    nativeAbsent,
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.versions.node },
  };
}

export function formatPruningBench(r: PruningBenchReport): string {
  const ms = (x: number) => x.toFixed(3).padStart(7);
  return [
    `rsd bench sim, contact pruning: ${r.suite}, old scene against pruned, same states, alternating blocks, ${r.steps} env steps per scene and task`,
    `  ${r.mujoco}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ${r.machine.node}`,
    '  task  env.step old / pruned ms   ratio   25 x mj_step old / pruned ms   ratio   contacts old -> pruned',
    ...r.tasks.map(
      (t) =>
        `  ${t.task.split(':')[0]!.padStart(4)}  ${ms(t.envStepOldMs)} / ${ms(t.envStepNewMs)}       ${t.envRatio.toFixed(3)}   ${ms(t.bareOldMs)} / ${ms(t.bareNewMs)}             ${t.bareRatio.toFixed(3)}   ${t.contactsOld.toFixed(1)} -> ${t.contactsNew.toFixed(1)}`,
    ),
    `  all tasks: env.step pruned / old ${r.envRatio.toFixed(3)}, 25 x mj_step pruned / old ${r.bareRatio.toFixed(3)} (target <= 0.5 for env.step)`,
    r.envRatioNative !== null
      ? `  all tasks: env.step of the pruned scene on native MuJoCo / the old scene on WebAssembly (before issue 20) ${r.envRatioNative.toFixed(3)} (per task: ${r.tasks.map((t) => t.envRatioNative!.toFixed(3)).join(' ')})`
      : `  no native arm: ${r.nativeAbsent}`,
  ].join('\n');
}
