import type { TaskSpec } from '../../../engine/libero/task.js';
import type { BodyPoses, InitState, Observation, SceneDescription, Simulator, StepResult } from '../../../engine/sim/simulator.js';
import type { Policy, PolicyChunk, PolicyInput, PolicyMetadata, TaskContext } from '../../../engine/policy/policy.js';

/**
 * Test doubles of the simulator and policy seams, each a second implementation of its interface
 * that shares nothing with MuJoCo or onnxruntime: a point "gripper" in memory that moves by the
 * action's first three dims, and a scripted policy that steers it to the goal. The goal is the
 * point GOAL_DISTANCE away along x from where the init state puts it (its qpos[0..2]).
 */

export const GOAL_DISTANCE = 0.3;
/** Metres per unit of action and step. */
const GAIN = 0.01;

export class PointMassSimulator implements Simulator {
  readonly backend = 'point-mass (test)';
  readonly version = '1';
  private position = new Float64Array(3);
  private goal = new Float64Array(3);
  private task: TaskSpec | null = null;

  async reset(task: TaskSpec, initState: InitState): Promise<Observation> {
    this.task = task;
    this.position = Float64Array.from(initState.qpos.subarray(0, 3));
    this.goal = Float64Array.from([this.position[0]! + GOAL_DISTANCE, this.position[1]!, this.position[2]!]);
    return this.observe();
  }

  async step(action: ArrayLike<number>): Promise<StepResult> {
    if (!this.task) throw new Error('reset first');
    for (let i = 0; i < 3; i++) this.position[i]! += GAIN * action[i]!;
    const reached = Math.hypot(...[0, 1, 2].map((i) => this.position[i]! - this.goal[i]!)) < 0.005;
    return { observation: this.observe(), success: reached };
  }

  async sceneDescription(): Promise<SceneDescription> {
    return { task: this.task?.file ?? 'none', bodies: ['point'], geoms: [{ body: 0, type: 'sphere', size: [0.01, 0, 0], pos: [0, 0, 0], quat: [1, 0, 0, 0], rgba: [1, 0, 0, 1] }], meshes: [] };
  }

  async bodyPoses(): Promise<BodyPoses> {
    return Float64Array.from([...this.position, 1, 0, 0, 0]);
  }

  async close(): Promise<void> {}

  private observe(): Observation {
    // proprio: position, a zero rotation, the goal's x and y where the fingers would be.
    const proprio = Float64Array.from([...this.position, 0, 0, 0, this.goal[0]!, this.goal[1]!]);
    return { proprio, objectPoses: new Float64Array(7 * (this.task?.objects.length ?? 0)), images: {} };
  }
}

/** Steers the point to the goal in its proprio at full speed, a chunk of CHUNK actions at a time. */
export class ScriptedPolicy implements Policy {
  static readonly CHUNK = 4;
  readonly metadata: PolicyMetadata = {
    kind: 'scripted (test)',
    name: 'scripted-point-mass',
    hash: 'test:scripted-point-mass-1',
    observation: { cameras: [], proprio: 8, objectPoses: false, instruction: false },
    action: { dim: 7, chunk: ScriptedPolicy.CHUNK },
    decoding: { strategy: 'parallel', accept: null, threshold: null },
    executionProvider: { requested: 'cpu', used: 'cpu', reason: null },
  };
  readonly batches: number[] = [];
  checked: TaskContext[] = [];
  closed = false;

  check(tasks: readonly TaskContext[]): void {
    this.checked = [...tasks];
  }

  async inferBatch(inputs: readonly PolicyInput[]): Promise<PolicyChunk[]> {
    this.batches.push(inputs.length);
    return inputs.map(({ observation: { proprio } }) => {
      const actions = new Float64Array(7 * ScriptedPolicy.CHUNK);
      // Plan the chunk ahead: each step covers what is left of the way, at most 1 unit.
      let x = proprio[0]!;
      for (let s = 0; s < ScriptedPolicy.CHUNK; s++) {
        const a = Math.max(-1, Math.min(1, (proprio[6]! - x) / GAIN));
        actions[7 * s] = a;
        actions[7 * s + 6] = -1;
        x += GAIN * a;
      }
      return { actions, record: null };
    });
  }

  reset(): void {}

  async close(): Promise<void> {
    this.closed = true;
  }
}
