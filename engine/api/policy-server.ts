import { z } from 'zod';

/**
 * The `policy` domain: reaching a policy server (openpi's protocol, docs/remote-policies.md) before
 * a run asks it for anything, so the Run page can show what it serves.
 */

/** A ws:// or wss:// address, as a run's `policy.url` takes it. */
const ServerUrl = z.string().trim().regex(/^wss?:\/\/[^\s/]+/, 'a ws:// or wss:// address, such as ws://127.0.0.1:8000');

/** Why a probe failed (engine/checks/policy-server-probe.ts), or `no-key`: the settings name a key variable the engine's environment lacks. */
export const PROBE_FAILURES = ['refused', 'unreachable', 'unauthorized', 'http', 'no-metadata', 'timeout', 'aborted', 'no-key'] as const;

export const PolicyProbe = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    url: z.string(),
    /** GET /healthz: its HTTP status (200 from a healthy server) and time. */
    health: z.object({ status: z.number().int(), ms: z.number().nonnegative() }),
    /** Connect, upgrade and the metadata message. */
    metadataMs: z.number().nonnegative(),
    /** What the metadata says that matters for a run, a line each (the policy.server row's words). */
    summary: z.array(z.string()),
    /** What the metadata names, where it does (a run records these). */
    server: z.string().nullable(),
    name: z.string().nullable(),
    hash: z.string().nullable(),
    /** The profile a run of this server uses when it names none. */
    defaultProfile: z.string(),
    /** Where the key sent came from: the request, the settings' variable (only for the settings' server), or none was sent. */
    key: z.enum(['given', 'settings', 'none']),
  }),
  z.object({ ok: z.literal(false), url: z.string(), reason: z.enum(PROBE_FAILURES), message: z.string() }),
]);
export type PolicyProbe = z.infer<typeof PolicyProbe>;

export const policyRequests = {
  /**
   * Reaches a policy server as a run would (healthz, the WebSocket, its metadata) and closes; asks
   * nothing of its policy. `apiKey` is sent as `Authorization: Api-Key`; without one, the key in the
   * environment variable the settings name is sent, but only to the settings' own server.
   */
  'policy.probe': {
    params: z.object({ url: ServerUrl, apiKey: z.string().min(1).optional() }).strict(),
    result: PolicyProbe,
  },
} as const;
