import { z } from 'zod';
import { AcceptRule, DecodingStrategy, ExecutionProviderRequest } from './run-config.js';

/**
 * What a caller asks of an evaluation run (the CLI's flags, the Run page's form, an Electron
 * window): every field optional, and the three seams as tagged unions, `simulator`, `policy` and
 * `target`, to which later issues add kinds. engine/eval/resolve.ts turns a request, the user's
 * settings and the defaults (engine/eval/defaults.ts, each defined once) into a `ResolvedRun`.
 */

const NonNegInt = z.number().int().nonnegative();


/** Which simulator runs the episodes. */
export const SimulatorSpec = z.discriminatedUnion('kind', [
  /**
   * MuJoCo in the engine's worker threads (engine/sim/embedded). `physics`: which MuJoCo build
   * (engine/sim/embedded/physics-choice.ts): `wasm` (the default), `native` or `auto`; the runner
   * resolves `auto` before the workers start, so they and results.json name the build that ran.
   */
  z.strictObject({ kind: z.literal('embedded'), physics: z.enum(['wasm', 'native', 'auto']).optional() }),
  /**
   * Real LIBERO in Python worker processes (engine/sim/libero, docs/libero-bridge.md), one per
   * evaluation worker. `python`: the interpreter that imports the user's LIBERO; the resolver
   * fills it in (settings, then $RSD_LIBERO_PYTHON, then python3).
   */
  z.strictObject({ kind: z.literal('libero'), python: z.string().trim().min(1).optional() }),
]);
export type SimulatorSpec = z.infer<typeof SimulatorSpec>;

/** Which policy acts; a request may leave any field out. */
export const PolicyRequest = z.discriminatedUnion('kind', [
  /** A model bundle (docs/bundle-format.md) run in-process by the RSD engine. */
  z.strictObject({
    kind: z.literal('bundle'),
    /** The bundle folder; default the settings' bundle, else the default bundle. */
    dir: z.string().trim().min(1).optional(),
    decoding: DecodingStrategy.optional(),
    accept: AcceptRule.optional(),
    threshold: z.number().min(0).max(1).optional(),
    /** RFSQ layers decoded, D in 1..Q of the bundle (checked when it loads); default every layer. */
    layers: z.number().int().min(1).optional(),
    ep: ExecutionProviderRequest.optional(),
  }),
  /**
   * A policy server speaking openpi's WebSocket + msgpack protocol (docs/remote-policies.md):
   * openpi's `serve_policy.py`, the project's python/policy_server, anything compatible.
   */
  z.strictObject({
    kind: z.literal('remote'),
    url: z.string().trim().regex(/^wss?:\/\/[^\s/]+/, 'a ws:// or wss:// address, such as ws://127.0.0.1:8000'),
    /** How observations and actions map to the server's keys: a shipped profile's name or a profile file; default from the server's metadata. */
    profile: z.string().trim().min(1).optional(),
    /** Sent as `Authorization: Api-Key <key>`. */
    apiKey: z.string().min(1).optional(),
    /** How long one chunk may take before the episode ends as an error. */
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  }),
]);
export type PolicyRequest = z.infer<typeof PolicyRequest>;

/** Where the episodes execute. */
export const TargetSpec = z.discriminatedUnion('kind', [
  /** Worker threads on this machine. */
  z.strictObject({ kind: z.literal('local') }),
]);
export type TargetSpec = z.infer<typeof TargetSpec>;

export const InitStatesRequest = z.strictObject({
  source: z.enum(['project', 'libero']),
  /** A LIBERO checkout or its data folder (libero only); default the settings' LIBERO folder. */
  location: z.string().trim().min(1).optional(),
});

/**
 * A camera to render and record: LIBERO's name (engine/sim/cameras.ts LIBERO_CAMERAS) and the
 * image size. 32 to 512 pixels a side: LIBERO's policies see 128 to 256.
 */
export const CameraRequest = z.strictObject({
  name: z.enum(['agentview', 'robot0_eye_in_hand']),
  width: z.number().int().min(32).max(512),
  height: z.number().int().min(32).max(512),
});
export type CameraRequest = z.infer<typeof CameraRequest>;

/** Cameras to record, each once. */
export const RecordCameras = z.array(CameraRequest).refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, { message: 'names a camera more than once' });

export const RunRequest = z.strictObject({
  suite: z.string().min(1).optional(),
  tasks: z
    .array(NonNegInt)
    .min(1, 'choose at least one task')
    .refine((ids) => new Set(ids).size === ids.length, { message: 'lists a task more than once; each task runs `trials` times' })
    .optional(),
  trials: z.number().int().min(1, 'at least 1 trial').max(500).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  /** Static ceilings; the resolver applies the finer bounds of the suite and the machine (engine/eval/bounds.ts). */
  maxSteps: z.number().int().min(1).max(10_000).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  initStates: InitStatesRequest.optional(),
  simulator: SimulatorSpec.optional(),
  policy: PolicyRequest.optional(),
  target: TargetSpec.optional(),
  /** One task, one trial, one worker, a log line per step and per chunk. */
  debug: z.boolean().optional(),
  /**
   * Cameras to render and keep in the trajectories (Replay's camera panel) besides those the policy
   * sees, for any policy (a state policy's episodes too); default none.
   */
  recordCameras: RecordCameras.optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;
