import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EpisodeOutcome } from '../api/schemas/results.js';

/**
 * Demonstrations: what a policy saw and did at every step of an episode, for training.
 *
 * Format (JSON Lines, `.jsonl`): one line per episode, a JSON object
 *
 *   {"format":"rsd-demo/1", "suite":"libero_spatial", "taskId":4, "taskName":"pick_up_...",
 *    "instruction":"pick up the black bowl ...", "initIndex":7, "initSource":"libero",
 *    "objects":["akita_black_bowl_1", ...], "outcome":"success", "steps":93,
 *    "proprio":"<base64>", "objectPoses":"<base64>", "actions":"<base64>"}
 *
 * The three arrays are little-endian float32, row-major, `steps` rows each:
 *   proprio      steps x 8                grip-site xyz, hand axis-angle, two finger joints (OFT's 8-D state)
 *   objectPoses  steps x 7*len(objects)   per object xyz + quaternion wxyz, in `objects` order
 *   actions      steps x 7                OSC_POSE deltas in [-1, 1] and the gripper (-1 open, +1 close)
 * Row t is the observation the action of row t was computed from (after the 10 wait steps, which
 * are not recorded). With `"noise": std` the simulator executed the actions of the steps in
 * `"perturbedSteps": [[start, end), ...]` plus DART-style noise (engine/expert/perturbation.ts),
 * while `actions` holds the expert's own, unperturbed actions. With `"policy": {name, contentHash,
 * decoding}` a trained bundle's chunk actions drove the arm in those steps instead
 * (engine/expert/policy-perturbation.ts), the gripper command and `actions` still the expert's. `outcome` is "success", "failure" or "error" (then `error` holds the cause).
 * Python: `np.frombuffer(base64.b64decode(d["actions"]), "<f4").reshape(d["steps"], 7)`.
 */

export const DEMO_FORMAT = 'rsd-demo/1';

export interface DemoEpisode {
  suite: string;
  taskId: number;
  taskName: string;
  instruction: string;
  initIndex: number;
  /** Where the initial state came from: `libero` (LIBERO's .pruned_init) or `project` (assets/). */
  initSource: string;
  /** Std of the DART-style noise added to the executed actions (absent: none); `actions` are the expert's own. */
  noise?: number;
  /** The trained policy that drove the arm in bursts (policy-perturbation.ts); `actions` are the expert's own. */
  policy?: { name: string; contentHash: string; decoding: string };
  /** With `noise` or `policy`: the [start, end) step ranges whose executed actions were perturbed (bursts). */
  perturbedSteps?: [number, number][];
  objects: string[];
  outcome: EpisodeOutcome;
  error?: string;
  steps: number;
  proprio: Float32Array;
  objectPoses: Float32Array;
  actions: Float32Array;
}

/** Collects one episode's rows as they happen. */
export class DemoRecorder {
  private readonly proprio: number[] = [];
  private readonly poses: number[] = [];
  private readonly actions: number[] = [];
  private steps = 0;

  constructor(private readonly objectCount: number) {}

  add(proprio: ArrayLike<number>, objectPoses: ArrayLike<number>, action: ArrayLike<number>): void {
    if (proprio.length !== 8 || objectPoses.length !== 7 * this.objectCount || action.length !== 7) {
      throw new Error(`demo row of ${proprio.length}/${objectPoses.length}/${action.length} values, expected 8/${7 * this.objectCount}/7`);
    }
    this.proprio.push(...Array.from(proprio));
    this.poses.push(...Array.from(objectPoses));
    this.actions.push(...Array.from(action));
    this.steps++;
  }

  finish(meta: Omit<DemoEpisode, 'steps' | 'proprio' | 'objectPoses' | 'actions'>): DemoEpisode {
    return {
      ...meta,
      steps: this.steps,
      proprio: Float32Array.from(this.proprio),
      objectPoses: Float32Array.from(this.poses),
      actions: Float32Array.from(this.actions),
    };
  }
}

export function encodeDemo(d: DemoEpisode): string {
  const { proprio, objectPoses, actions, ...meta } = d;
  return JSON.stringify({ format: DEMO_FORMAT, ...meta, proprio: b64(proprio), objectPoses: b64(objectPoses), actions: b64(actions) });
}

export function decodeDemo(line: string): DemoEpisode {
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (raw.format !== DEMO_FORMAT) throw new Error(`not an ${DEMO_FORMAT} line (format: ${String(raw.format)})`);
  const steps = raw.steps as number;
  const objects = raw.objects as string[];
  const demo: DemoEpisode = {
    suite: raw.suite as string,
    taskId: raw.taskId as number,
    taskName: raw.taskName as string,
    instruction: raw.instruction as string,
    initIndex: raw.initIndex as number,
    initSource: raw.initSource as string,
    objects,
    outcome: raw.outcome as DemoEpisode['outcome'],
    steps,
    proprio: unb64(raw.proprio as string, steps * 8, 'proprio'),
    objectPoses: unb64(raw.objectPoses as string, steps * 7 * objects.length, 'objectPoses'),
    actions: unb64(raw.actions as string, steps * 7, 'actions'),
  };
  if (typeof raw.error === 'string') demo.error = raw.error;
  if (typeof raw.noise === 'number') demo.noise = raw.noise;
  if (raw.policy && typeof raw.policy === 'object') demo.policy = raw.policy as DemoEpisode['policy'];
  if (Array.isArray(raw.perturbedSteps)) demo.perturbedSteps = raw.perturbedSteps as [number, number][];
  return demo;
}

/** Reads a .jsonl file of demonstrations, one episode per non-empty line. */
export async function readDemos(file: string): Promise<DemoEpisode[]> {
  const out: DemoEpisode[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    try {
      out.push(decodeDemo(line));
    } catch (error) {
      throw new Error(`${file}:${n}: ${(error as Error).message}`);
    }
  }
  return out;
}

function b64(a: Float32Array): string {
  const bytes = Buffer.alloc(4 * a.length);
  for (let i = 0; i < a.length; i++) bytes.writeFloatLE(a[i]!, 4 * i);
  return bytes.toString('base64');
}

function unb64(s: string, count: number, what: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength !== 4 * count) throw new Error(`${what} holds ${bytes.byteLength / 4} floats, expected ${count}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}
