import type { CheckFix } from '../api/checks.js';
import type { Settings } from '../api/settings.js';
import { PolicyServerProbeError, PROBE_TIMEOUT_MS, probePolicyServer, type PolicyServerProbe } from './policy-server-probe.js';
import { message, type Check, type Outcome } from './types.js';

const serverFix: CheckFix = {
  kind: 'setting',
  setting: 'policyServer',
  hint: "The server's address: ws://HOST:PORT (wss:// through TLS). openpi's serve_policy.py and python/policy_server listen on port 8000 unless told otherwise.",
};

const keyFix: CheckFix = {
  kind: 'setting',
  setting: 'policyApiKeyEnv',
  hint: "The NAME of an environment variable of the engine (the app, or rsd serve) that holds the server's key; the key itself is never saved.",
};

const HOW_TO_SERVE =
  'Start one with `python -m policy_server --checkpoint CKPT.pt` (in python/: the project\'s own policies and the seed\'s OpenVLA-OFT) or openpi\'s `uv run scripts/serve_policy.py --env LIBERO`, then set its address (docs/remote-policies.md).';

export const policyServerCheck: Check = {
  id: 'policy.server',
  title: 'Policy server',
  group: 'integrations',
  purpose:
    "A model served over openpi's WebSocket protocol (pi0 / pi0.5 from openpi, the seed's OpenVLA-OFT from python/policy_server, or your own), evaluated instead of an in-process bundle.",
  reads: ['policyServer', 'policyProfile', 'policyApiKeyEnv'],
  async run(ctx, signal) {
    const { policyServer: url, policyProfile, policyApiKeyEnv: keyEnv } = ctx.settings.settings;
    if (!url) {
      return { status: 'not-configured', detail: `No policy server set: runs use a model bundle in this process. ${HOW_TO_SERVE}`, fix: serverFix };
    }
    let apiKey: string | undefined;
    if (keyEnv) {
      apiKey = ctx.env[keyEnv];
      if (!apiKey) {
        return {
          status: 'fail',
          detail: `The key is to come from $${keyEnv} (setting policyApiKeyEnv), but the engine's environment has no ${keyEnv}: set it where the app or rsd serve starts, then check again.`,
          fix: { kind: 'command', command: `export ${keyEnv}=YOUR_KEY`, hint: 'Then restart the app or rsd serve from that shell, so the engine sees it.' },
        };
      }
    }
    const how = [`profile ${profileOf(policyProfile)}`, keyEnv ? `key from $${keyEnv}` : 'no key'].join(', ');
    let probe: PolicyServerProbe;
    try {
      probe = await probePolicyServer(url, { apiKey, timeoutMs: PROBE_TIMEOUT_MS, signal });
    } catch (thrown) {
      return failed(url, thrown, how, keyEnv);
    }
    const healthy = probe.health.status === 200;
    const head = `${url} answered (${how}): /healthz ${probe.health.status} in ${ms(probe.health.ms)}; connected and got its metadata in ${ms(probe.metadataMs)}.`;
    const lines = [head, ...describeMetadata(probe.metadata)];
    if (!healthy) lines.push(`GET /healthz answered ${probe.health.status}, not 200: runs can use the WebSocket, but health checks (a load balancer, a cluster) would count this server as down.`);
    return { status: healthy ? 'pass' : 'warn', detail: lines.join('\n') };
  },
};

function failed(url: string, thrown: unknown, how: string, keyEnv: string | null): Outcome {
  if (!(thrown instanceof PolicyServerProbeError)) return { status: 'fail', detail: `${url} could not be probed: ${message(thrown)}.`, fix: serverFix };
  const said = /[.!?]$/.test(thrown.message) ? thrown.message : `${thrown.message}.`;
  switch (thrown.reason) {
    case 'refused':
    case 'unreachable':
      return { status: 'fail', detail: `${said} Is the server running there? ${HOW_TO_SERVE}`, fix: serverFix };
    case 'unauthorized':
      return {
        status: 'fail',
        detail: keyEnv ? `${said} It did not accept the key in $${keyEnv}.` : `${said} It wants a key: set policyApiKeyEnv to the name of an environment variable holding it.`,
        fix: keyFix,
      };
    case 'http':
      return { status: 'fail', detail: `${said} Is this the address of a policy server (openpi's protocol), not some other service?`, fix: serverFix };
    case 'no-metadata':
      return { status: 'fail', detail: `${said} A server speaking openpi's protocol sends its metadata first (${how}).`, fix: serverFix };
    case 'timeout':
      return { status: 'fail', detail: `${said} A server busy loading its model may not answer yet: check again once it prints that it is listening.`, fix: serverFix };
    case 'aborted':
      return { status: 'unknown', detail: said };
  }
}

const profileOf = (profile: Settings['policyProfile']) => profile ?? "the run's default";

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/** The metadata's keys that the lines below describe; any other is listed as it is. */
const DESCRIBED = new Set(['server', 'protocol', 'kind', 'name', 'hash', 'observation', 'action', 'decoding', 'strategies']);

/**
 * The metadata that matters for a run, a line each: who serves what, what it wants to see, what it
 * answers, how it decodes. Every key is optional (openpi's servers send whatever their policy declares).
 */
export function describeMetadata(metadata: Json): string[] {
  const keys = Object.keys(metadata);
  if (keys.length === 0) return ["Metadata: an empty map (openpi's servers send what their policy declares, often nothing); the profile alone decides what is sent."];
  const lines: string[] = [];
  const server = [text(metadata.server), metadata.protocol !== undefined ? `protocol ${text(metadata.protocol)}` : null, metadata.kind !== undefined ? `kind ${text(metadata.kind)}` : null].filter(Boolean);
  if (server.length > 0) lines.push(`Server: ${server.join(', ')}`);
  const model = [text(metadata.name), text(metadata.hash)].filter(Boolean);
  if (model.length > 0) lines.push(`Model: ${model.join(', ')}`);
  if (isObject(metadata.observation)) lines.push(`Observation: ${describeObservation(metadata.observation)}`);
  if (isObject(metadata.action)) {
    const { dim, chunk } = metadata.action;
    lines.push(`Action: ${[dim !== undefined ? `dim ${text(dim)}` : null, chunk !== undefined ? `chunk ${text(chunk)}` : null].filter(Boolean).join(', ') || 'not described'}`);
  }
  if (isObject(metadata.decoding)) {
    const { strategy, accept, threshold } = metadata.decoding;
    const parts = [text(strategy), accept != null ? `accept ${text(accept)}` : null, threshold != null ? `threshold ${text(threshold)}` : null].filter(Boolean);
    const offered = Array.isArray(metadata.strategies) ? ` (offers ${metadata.strategies.map(text).filter(Boolean).join(', ')})` : '';
    lines.push(`Decoding: ${parts.join(', ') || 'not described'}${offered}`);
  }
  const others = keys.filter((k) => !DESCRIBED.has(k));
  if (others.length > 0) lines.push(`Other metadata: ${others.map((k) => `${k} ${short(metadata[k])}`).join('; ')}`);
  return lines;
}

function describeObservation(observation: Json): string {
  const parts: string[] = [];
  if (Array.isArray(observation.cameras)) {
    const cameras = observation.cameras.map((c) => (isObject(c) ? `${text(c.name) ?? '?'} ${text(c.width) ?? '?'}x${text(c.height) ?? '?'}` : short(c)));
    parts.push(cameras.length > 0 ? `cameras ${cameras.join(', ')}` : 'no cameras');
  }
  if (observation.proprio !== undefined) parts.push(`proprio ${text(observation.proprio) ?? short(observation.proprio)}`);
  if (observation.object_poses !== undefined) parts.push(observation.object_poses === true ? 'object poses' : 'no object poses');
  if (observation.instruction !== undefined) parts.push(observation.instruction === true ? 'instruction' : 'no instruction');
  return parts.join('; ') || 'not described';
}

function short(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
