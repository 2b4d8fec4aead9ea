import type { TaskSpec } from '../../libero/task.js';
import type { BodyPoses, InitState, Observation, SceneDescription, Simulator, StepResult } from '../simulator.js';
import { EmbeddedPhysics, type EmbeddedOptions } from './physics.js';

/**
 * The embedded backend as a `Simulator`: MuJoCo WebAssembly in the calling thread. The calls
 * finish synchronously; they are promises because other backends live in another process.
 */
export class EmbeddedSimulator implements Simulator {
  readonly backend = 'embedded';
  readonly version: string;

  private constructor(
    /** Privileged access for tools that need the ground truth: see `embeddedPhysics`. */
    readonly physics: EmbeddedPhysics,
  ) {
    this.version = physics.version;
  }

  static async create(options: EmbeddedOptions = {}): Promise<EmbeddedSimulator> {
    return new EmbeddedSimulator(await EmbeddedPhysics.create(options));
  }

  async reset(task: TaskSpec, initState: InitState): Promise<Observation> {
    return this.physics.reset(task, initState);
  }

  async step(action: ArrayLike<number>): Promise<StepResult> {
    return this.physics.step(action);
  }

  async sceneDescription(): Promise<SceneDescription> {
    return this.physics.sceneDescription();
  }

  async bodyPoses(): Promise<BodyPoses> {
    return this.physics.bodyPoses();
  }

  async close(): Promise<void> {
    this.physics.close();
  }
}

/**
 * The physics behind a simulator, for the tools that read the scene's ground truth (the scripted
 * expert's world model, the initial-state sampler, the physics floor of `rsd bench sim`): they
 * work only on the embedded backend and say so by name on any other.
 */
export function embeddedPhysics(sim: Simulator, who: string): EmbeddedPhysics {
  if (!(sim instanceof EmbeddedSimulator)) throw new Error(`${who} needs the embedded simulator's ground truth; this simulator is "${sim.backend}"`);
  return sim.physics;
}
