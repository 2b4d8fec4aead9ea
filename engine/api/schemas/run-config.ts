import { z } from 'zod';
import { SUITES } from './suite-names.js';

/**
 * A run's configuration and the enums it is made of (docs/evaluation.md "results.json"): what
 * `results.json` and `run.json` record, and what requests, the runner and the decoder share.
 * Schemas only (zod, nothing of Node): the renderer imports these.
 */

const Int = z.number().int();
const NonNegInt = z.number().int().nonnegative();

/** LIBERO's task suites (engine/libero/suites.ts keeps their tasks and step limits). */
export { SUITES };
export const SuiteName = z.enum(SUITES);
export type SuiteName = z.infer<typeof SuiteName>;

/** Decoding strategies (docs/bundle-format.md "Decoding"). */
export const DECODING_STRATEGIES = ['parallel', 'autoregressive', 'speculative'] as const;
export const DecodingStrategy = z.enum(DECODING_STRATEGIES);
export type DecodingStrategy = z.infer<typeof DecodingStrategy>;

/** Acceptance rules of speculative decoding. */
export const ACCEPT_RULES = ['exact', 'threshold', 'stochastic'] as const;
export const AcceptRule = z.enum(ACCEPT_RULES);
export type AcceptRule = z.infer<typeof AcceptRule>;

/**
 * Decoding fewer RFSQ layers than the bundle has (docs/bundle-format.md "Decoding", depth): the
 * first `layers` of `of`, the rest at the level whose value is 0. Absent in a configuration: every layer.
 */
export const DecodingDepth = z
  .strictObject({ layers: z.number().int().positive(), of: z.number().int().positive() })
  .refine((d) => d.layers < d.of, { message: 'layers must be fewer than of (all layers is no depth: leave depth out)' });
export type DecodingDepth = z.infer<typeof DecodingDepth>;

/** ", 3 of 8 layers" after a decoding's name; "" for every layer. */
export function depthText(depth: DecodingDepth | undefined): string {
  return depth ? `, ${depth.layers} of ${depth.of} layers` : '';
}

/** Execution providers a run can use, and the ones it can ask for (`auto` picks one). */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export const ExecutionProvider = z.enum(EXECUTION_PROVIDERS);
export type ExecutionProvider = z.infer<typeof ExecutionProvider>;
export const EXECUTION_PROVIDER_REQUESTS = [...EXECUTION_PROVIDERS, 'auto'] as const;
export const ExecutionProviderRequest = z.enum(EXECUTION_PROVIDER_REQUESTS);
export type ExecutionProviderRequest = z.infer<typeof ExecutionProviderRequest>;

/** Where a run's policy ran, as its configuration records it: an execution provider here, or `remote` (a policy server). */
export const RunExecutionProvider = z.enum([...EXECUTION_PROVIDERS, 'remote']);
export const RunExecutionProviderRequest = z.enum([...EXECUTION_PROVIDER_REQUESTS, 'remote']);

/**
 * A run's policy when it was not a bundle run in-process: a policy server (docs/remote-policies.md).
 * `bundle` then holds the server's policy name and weights hash, or its address where it said none.
 */
export const RunPolicy = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('remote'),
    /** The server's address (ws:// or wss://). */
    url: z.string().min(1),
    /** The policy profile: a shipped profile's name or a profile file's path. */
    profile: z.string().min(1),
    /** What the server's metadata said: its software (`server`), its policy's name and weights hash; null where it said nothing. */
    server: z.string().nullable(),
    name: z.string().nullable(),
    hash: z.string().nullable(),
  }),
]);
export type RunPolicy = z.infer<typeof RunPolicy>;

export const Machine = z.strictObject({
  os: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpus: z.number().int().positive(),
  memoryBytes: NonNegInt,
  node: z.string(),
});
export type Machine = z.infer<typeof Machine>;

/**
 * The run's configuration: what was asked and what was actually used. Beyond the fields' types:
 * no task is listed twice; speculative decoding names its acceptance rule and other strategies
 * none; `threshold` is set exactly when the rule is `threshold`.
 */
const RunConfigFields = z.strictObject({
  suite: SuiteName,
  /** Task ids within the suite, in run order. */
  tasks: z.array(NonNegInt).min(1),
  /** Trials per task; trial t of a task uses initial state t unless `initStates` maps otherwise. */
  trials: z.number().int().positive(),
  seed: Int,
  /** Policy steps at most per episode (the suite's maximum unless overridden). */
  maxSteps: z.number().int().positive(),
  /** Steps of the wait action before the policy acts (not counted in `steps`). */
  waitSteps: NonNegInt,
  decoding: DecodingStrategy,
  /** Acceptance rule (speculative decoding only, else null). */
  accept: AcceptRule.nullable(),
  /** tau of the threshold rule (else null). */
  threshold: z.number().min(0).max(1).nullable(),
  /** Fewer layers decoded than the bundle has (autoregressive, speculative); absent: every layer. */
  depth: DecodingDepth.optional(),
  bundle: z.strictObject({
    name: z.string().min(1),
    /** Content hash of the bundle (e.g. `sha256:...`). */
    hash: z.string().min(1),
  }),
  executionProvider: z.strictObject({
    requested: RunExecutionProviderRequest,
    used: RunExecutionProvider,
    /** Why `used` was chosen (e.g. auto's reasoning), when there is something to say. */
    reason: z.string().nullable(),
  }),
  /** The policy, when it was not a bundle run in-process (absent: a bundle, whose name and hash `bundle` holds). */
  policy: RunPolicy.optional(),
  simulator: z.strictObject({ backend: z.string().min(1), version: z.string().min(1) }),
  initStates: z.strictObject({
    source: z.enum(['project', 'libero']),
    /** Where they were read from (a LIBERO checkout), or null for the project's own. */
    location: z.string().nullable(),
  }),
  machine: Machine,
});
export const RunConfig = RunConfigFields.superRefine((c, ctx) => {
  const first = new Map<number, number>();
  c.tasks.forEach((t, i) => {
    const at = first.get(t);
    if (at !== undefined) ctx.addIssue({ code: 'custom', path: ['tasks', i], message: `task ${t} is listed twice (also tasks[${at}])` });
    else first.set(t, i);
  });
  if (c.decoding === 'speculative' && c.accept === null) ctx.addIssue({ code: 'custom', path: ['accept'], message: `speculative decoding needs an acceptance rule (one of ${ACCEPT_RULES.join(', ')})` });
  if (c.decoding !== 'speculative' && c.accept !== null) ctx.addIssue({ code: 'custom', path: ['accept'], message: `must be null with ${c.decoding} decoding (only speculative decoding has an acceptance rule)` });
  if (c.accept !== 'threshold' && c.threshold !== null) ctx.addIssue({ code: 'custom', path: ['threshold'], message: `must be null unless accept is threshold (accept is ${c.accept === null ? 'null' : c.accept})` });
  if (c.accept === 'threshold' && c.threshold === null) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'the threshold rule needs its tau' });
  if (c.depth && c.decoding === 'parallel') ctx.addIssue({ code: 'custom', path: ['depth'], message: 'parallel decoding decodes every layer (depth applies to autoregressive and speculative decoding)' });
});
export type RunConfig = z.infer<typeof RunConfig>;
