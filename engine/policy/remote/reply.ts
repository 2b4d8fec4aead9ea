import { z } from 'zod';
import { AcceptRule, DecodingStrategy } from '../../api/schemas/run-config.js';
import type { ChunkRecord } from '../../decoding/record.js';
import { fieldPath } from './field-path.js';
import type { PolicyMetadata } from '../policy.js';
import { PolicyReplyError } from './errors.js';
import { isNdArray, type NdArray, type WireMap, type WireValue } from './msgpack-numpy.js';

/**
 * A server's reply checked and turned into what the runner takes (docs/remote-policies.md "Replies"):
 * `actions` [H, D] numeric, finite, H at least the actions the profile executes and D at least 7
 * (the first `execute` rows and first 7 columns run); the optional `rsd` record (the per-chunk RSD
 * decoding record, snake_case) as the engine's ChunkRecord, its codes kept for comparisons.
 */

const Ms = z.number().nonnegative();
const STAGES = ['prefill', 'draft', 'verify', 'main_steps', 'parallel', 'decoder', 'rfsq'] as const;

/** The `rsd` reply field; unknown keys are ignored, so a newer server's additions do not end episodes. */
export const RsdRecord = z
  .object({
    strategy: DecodingStrategy,
    accept: AcceptRule.nullable(),
    threshold: z.number().min(0).max(1).nullable(),
    draft_layers: z.number().int().nonnegative(),
    accepted_layers: z.number().int().nonnegative(),
    accepted: z.array(z.boolean()),
    agreement: z.array(z.number().min(0).max(1)),
    stages_ms: z.partialRecord(z.enum(STAGES), Ms),
    main_steps: z.number().int().nonnegative(),
    total_ms: Ms,
    codes: z.custom<NdArray>((v) => isNdArray(v), 'an ndarray (int32 [layers, positions])').optional(),
    note: z.string().optional(),
  })
  .superRefine((r, ctx) => {
    const k = r.draft_layers;
    if (r.accepted.length !== k) ctx.addIssue({ code: 'custom', path: ['accepted'], message: `has ${r.accepted.length} entries, draft_layers ${k}` });
    if (r.agreement.length !== k) ctx.addIssue({ code: 'custom', path: ['agreement'], message: `has ${r.agreement.length} entries, draft_layers ${k}` });
    if (r.accepted_layers > k) ctx.addIssue({ code: 'custom', path: ['accepted_layers'], message: `${r.accepted_layers} of ${k} drafted layers` });
    if (r.accepted.some((a, j) => a !== j < r.accepted_layers)) ctx.addIssue({ code: 'custom', path: ['accepted'], message: `must be the accepted prefix: the first ${r.accepted_layers} true, the rest false` });
    if (r.strategy !== 'speculative' && k > 0) ctx.addIssue({ code: 'custom', path: ['draft_layers'], message: `${r.strategy} decoding drafts no layers` });
    if ((r.strategy === 'speculative') !== (r.accept !== null)) ctx.addIssue({ code: 'custom', path: ['accept'], message: r.strategy === 'speculative' ? 'speculative decoding names its acceptance rule' : `must be null with ${r.strategy} decoding` });
    if ((r.accept === 'threshold') !== (r.threshold !== null)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: r.accept === 'threshold' ? 'the threshold rule needs its tau' : 'must be null unless accept is threshold' });
    if (r.codes && !(r.codes.shape.length === 2 && ['<i4', '<i8', '<i2', '|i1', '|u1', '<u2'].includes(r.codes.dtype))) {
      ctx.addIssue({ code: 'custom', path: ['codes'], message: `must be an integer array [layers, positions], got ${r.codes.dtype} [${r.codes.shape.join(', ')}]` });
    }
  });
export type RsdRecord = z.infer<typeof RsdRecord>;

export interface ReplyChunk {
  /** [execute x 7] env actions, row-major. */
  actions: Float64Array;
  record: ChunkRecord | null;
  codes?: Int32Array;
}

export interface ReplyExpectation {
  /** Actions of each chunk that run (null: all the reply has). */
  execute: number | null;
  dim: number;
  decoding: PolicyMetadata['decoding'];
}

/** Checks a decoded reply; `roundTripMs` is the request's wall time as the client measured it. */
export function readReply(reply: WireValue, expect: ReplyExpectation, roundTripMs: number): ReplyChunk {
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply) || ArrayBuffer.isView(reply) || isNdArray(reply)) throw new PolicyReplyError('the reply is not a map');
  const map = reply as WireMap;
  const actions = readActions(map.actions, expect);
  if (map.rsd === undefined || map.rsd === null) return { actions, record: null };
  const parsed = RsdRecord.safeParse(map.rsd);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PolicyReplyError(`the reply's rsd record: ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  const rsd = parsed.data;
  const d = expect.decoding;
  if (rsd.strategy !== d.strategy || rsd.accept !== d.accept || rsd.threshold !== d.threshold) {
    throw new PolicyReplyError(`the reply's rsd record says ${decodingText(rsd)} but the server's metadata said ${decodingText(d)}; one run records one decoding`);
  }
  return { actions, record: chunkRecord(rsd, roundTripMs), ...(rsd.codes ? { codes: Int32Array.from(rsd.codes.data as ArrayLike<number>, Number) } : {}) };
}

function decodingText(d: { strategy: string; accept: string | null; threshold: number | null }): string {
  return `${d.strategy}${d.accept ? ` (${d.accept}${d.threshold !== null ? ` ${d.threshold}` : ''})` : ''}`;
}

function readActions(value: WireValue | undefined, expect: ReplyExpectation): Float64Array {
  if (value === undefined) throw new PolicyReplyError('the reply has no "actions"');
  if (!isNdArray(value)) throw new PolicyReplyError(`the reply's "actions" is not an array (a ${Array.isArray(value) ? 'list' : typeof value}); it must be a numpy array [H, D]`);
  const { shape, dtype, data } = value;
  if (!/^[<|][fiu]\d$/.test(dtype)) throw new PolicyReplyError(`the reply's "actions" has dtype ${dtype}; it must be numeric`);
  if (shape.length !== 2) throw new PolicyReplyError(`the reply's "actions" has shape [${shape.join(', ')}]; it must be [H, D] (H actions of ${expect.dim} or more numbers)`);
  const [H, D] = shape as [number, number];
  const rows = expect.execute ?? H;
  if (D < expect.dim) throw new PolicyReplyError(`the reply's "actions" has ${D} numbers per action; LIBERO needs ${expect.dim}`);
  if (H < Math.max(rows, 1)) throw new PolicyReplyError(`the reply's "actions" has ${H} actions; the profile executes ${rows} of each chunk`);
  const out = new Float64Array(rows * expect.dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < expect.dim; c++) {
      const v = Number(data[r * D + c]!);
      if (!Number.isFinite(v)) throw new PolicyReplyError(`the reply's "actions" has ${v} at [${r}, ${c}]`);
      out[r * expect.dim + c] = v;
    }
  }
  return out;
}

/** The engine's record of a served chunk: the server's stages, the client's wall time as the total (network included). */
function chunkRecord(r: RsdRecord, roundTripMs: number): ChunkRecord {
  const s = r.stages_ms;
  const ortMs = (s.prefill ?? 0) + (s.draft ?? 0) + (s.verify ?? 0) + (s.main_steps ?? 0) + (s.parallel ?? 0) + (s.decoder ?? 0);
  return {
    strategy: r.strategy,
    accept: r.accept,
    threshold: r.threshold,
    batchSize: 1,
    // The server's record does not say a depth (python/policy_server decodes every layer).
    layers: null,
    draftLayers: r.draft_layers,
    acceptedLayers: r.accepted_layers,
    accepted: r.accepted,
    agreement: r.agreement,
    latency: {
      prefillMs: s.prefill ?? 0,
      draftMs: s.draft ?? 0,
      verifyMs: s.verify ?? 0,
      mainStepsMs: s.main_steps ?? 0,
      mainSteps: r.main_steps,
      parallelMs: s.parallel ?? 0,
      decoderMs: s.decoder ?? 0,
      rfsqMs: s.rfsq ?? 0,
      totalMs: roundTripMs,
      ortMs,
      overheadMs: Math.max(0, roundTripMs - ortMs),
    },
    deviation: null,
    ...(r.note ? { note: r.note } : {}),
  };
}
