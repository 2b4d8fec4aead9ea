import { z } from 'zod';
import { AcceptRule, DecodingStrategy } from '../../api/schemas/run-config.js';
import { fieldPath } from './field-path.js';
import type { PolicyMetadata } from '../policy.js';
import { PolicyConnectionError } from './errors.js';
import type { WireMap } from './msgpack-numpy.js';

/**
 * The fields of a server's metadata message the workbench uses (docs/remote-policies.md "Server
 * metadata"). openpi servers send whatever their policy config says (often nothing), so every field
 * is optional and unknown ones are ignored; a field that is there must have its documented type.
 */
const Camera = z.object({ name: z.string().min(1), width: z.number().int().min(8).max(1024), height: z.number().int().min(8).max(1024) });

export const ServerMetadata = z.object({
  /** The server software (`rsd-policy-server` for the project's own). */
  server: z.string().optional(),
  name: z.string().min(1).optional(),
  /** The weights' hash, e.g. `sha256:...`. */
  hash: z.string().min(1).optional(),
  observation: z.object({ cameras: z.array(Camera).optional() }).optional(),
  action: z.object({ dim: z.number().int().positive().optional(), chunk: z.number().int().positive().optional() }).optional(),
  decoding: z
    .object({ strategy: DecodingStrategy, accept: AcceptRule.nullable().optional(), threshold: z.number().min(0).max(1).nullable().optional() })
    .superRefine((d, ctx) => {
      if (d.strategy === 'speculative' && !d.accept) ctx.addIssue({ code: 'custom', path: ['accept'], message: 'speculative decoding names its acceptance rule' });
      if (d.strategy !== 'speculative' && d.accept) ctx.addIssue({ code: 'custom', path: ['accept'], message: `must be null with ${d.strategy} decoding` });
      if ((d.accept === 'threshold') !== (d.threshold !== undefined && d.threshold !== null)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: d.accept === 'threshold' ? 'the threshold rule needs its tau' : 'must be null unless accept is threshold' });
    })
    .optional(),
});
export type ServerMetadata = z.infer<typeof ServerMetadata>;

export function readServerMetadata(url: string, message: WireMap): ServerMetadata {
  const parsed = ServerMetadata.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PolicyConnectionError(`the policy server at ${url} sent metadata with ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The run's decoding as the server declares it; a server that declares none decodes as a whole (recorded as `parallel`). */
export function serverDecoding(m: ServerMetadata): PolicyMetadata['decoding'] {
  if (!m.decoding) return { strategy: 'parallel', accept: null, threshold: null };
  return { strategy: m.decoding.strategy, accept: m.decoding.accept ?? null, threshold: m.decoding.threshold ?? null };
}
