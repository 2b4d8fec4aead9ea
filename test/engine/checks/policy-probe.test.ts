// `policy.probe` and the API key rules of runs of a policy server (engine/settings/server-key.ts),
// through the real engine host against a Node stand-in for a policy server (policy-server-stand-in.ts,
// not python/policy_server): the settings' key variable goes only to the settings' own server.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../engine/api/contract.js';
import type { PolicyProbe } from '../../../engine/api/policy-server.js';
import type { RunSummary } from '../../../engine/api/schemas/runs.js';
import { resolveRun } from '../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../engine/eval/runner.js';
import { createEngineHost } from '../../../engine/host/handlers.js';
import { defaultRunsRoot, RunStore } from '../../../engine/runs/store.js';
import { answeringMetadata, closedPort, startStandInPolicyServer, type StandIn, type StandInOptions } from './policy-server-stand-in.js';

let data: string;
const servers: StandIn[] = [];
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-policy-probe-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

async function standIn(options?: StandInOptions): Promise<StandIn> {
  const server = await startStandInPolicyServer(options);
  servers.push(server);
  return server;
}

/** An engine host with its own data folder and environment; `ok` throws the engine's refusal. */
async function engine(env: NodeJS.ProcessEnv = {}, settings: Record<string, unknown> = {}) {
  const dataDir = await mkdtemp(path.join(data, 'engine-'));
  const host = createEngineHost('in-process', { dataDir, env });
  const events: EventEnvelope[] = [];
  host.onEvent((e) => events.push(e));
  let id = 0;
  const call = (type: string, params: unknown = {}) => host.handle(JSON.stringify({ id: ++id, type, params }));
  const ok = async <T,>(type: string, params: unknown = {}): Promise<T> => {
    const reply = await call(type, params);
    if (!reply.ok) throw new Error(`${type}: ${reply.error.message} (${reply.error.field ?? ''})`);
    return reply.result as T;
  };
  if (Object.keys(settings).length > 0) await ok('settings.set', settings);
  const finished = (runId: string) =>
    expect
      .poll(() => events.some((e) => e.event === 'eval.event' && (e.payload as { type: string; runId: string }).type === 'run-finished' && (e.payload as { runId: string }).runId === runId), { timeout: 60_000 })
      .toBe(true);
  return { dataDir, call, ok, finished };
}

describe('policy.probe', () => {
  it("shows what the server serves, the round trip, and the profile a run would pick", async () => {
    const server = await standIn();
    const { ok } = await engine();
    const probe = await ok<PolicyProbe>('policy.probe', { url: server.url });
    expect(probe).toMatchObject({ ok: true, url: server.url, health: { status: 200 }, server: 'rsd-policy-server', name: 'stand-in-policy', hash: 'sha256:0123456789abcdef', defaultProfile: 'rsd-server', key: 'none' });
    if (!probe.ok) throw new Error('unreachable');
    // The policy.server row's own lines.
    expect(probe.summary.slice(0, 2)).toEqual(['Server: rsd-policy-server, protocol 1, kind rsd-checkpoint', 'Model: stand-in-policy, sha256:0123456789abcdef']);

    const openpi = await standIn({ metadata: {} });
    expect(await ok('policy.probe', { url: openpi.url })).toMatchObject({ ok: true, server: null, name: null, hash: null, defaultProfile: 'openpi-libero' });
  });

  it('says why a server cannot be used, as an answer rather than an error', async () => {
    const port = await closedPort();
    const { ok, call } = await engine();
    expect(await ok('policy.probe', { url: `ws://127.0.0.1:${port}` })).toEqual({ ok: false, url: `ws://127.0.0.1:${port}`, reason: 'refused', message: `nothing is listening at 127.0.0.1:${port} (connection refused)` });
    const bad = await call('policy.probe', { url: 'http://127.0.0.1:8000' });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.url' } });
  });

  it("sends the settings' key only to the settings' server; a key given is sent anywhere; a missing variable is named", async () => {
    const server = await standIn({ apiKey: 'secret' });
    const { ok } = await engine({ POLICY_KEY: 'secret' }, { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' });
    expect(await ok('policy.probe', { url: server.url })).toMatchObject({ ok: true, key: 'settings' });
    // The same server under another name is another address: no key goes there unasked.
    const other = server.url.replace('127.0.0.1', 'localhost');
    expect(await ok('policy.probe', { url: other })).toMatchObject({ ok: false, reason: 'unauthorized' });
    expect(await ok('policy.probe', { url: other, apiKey: 'secret' })).toMatchObject({ ok: true, key: 'given' });
    expect(server.authorizations).toEqual(['Api-Key secret', undefined, 'Api-Key secret']);

    const { ok: without } = await engine({}, { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' });
    const missing = await without<PolicyProbe>('policy.probe', { url: server.url });
    expect(missing).toMatchObject({ ok: false, reason: 'no-key' });
    expect(!missing.ok && missing.message).toMatch(/^the settings send the policy server's key from \$POLICY_KEY \(policyApiKeyEnv\), but the engine's environment has no POLICY_KEY/);
  });
});

describe("runs of a policy server that wants a key", () => {
  const answering = (): StandInOptions => ({ apiKey: 'secret', metadata: answeringMetadata(8), answer: { chunk: 8, rsd: true } });

  it("eval.start sends the settings' key to the settings' server; runs.list names the server", async () => {
    const server = await standIn(answering());
    const { ok, finished } = await engine({ POLICY_KEY: 'secret' }, { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' });
    const { runId } = await ok<{ runId: string }>('eval.start', { tasks: [0], trials: 1, maxSteps: 12, workers: 1, policy: { kind: 'remote', url: server.url } });
    await finished(runId);
    const { runs } = await ok<{ runs: RunSummary[] }>('runs.list');
    expect(runs[0]).toMatchObject({ id: runId, status: 'completed', bundle: 'stand-in-rsd', executionProvider: 'remote', server: server.url });
    expect(server.answered).toBe(2);
    expect(new Set(server.authorizations)).toEqual(new Set(['Api-Key secret']));

    // Without the variable, the run is refused before it starts, naming the field.
    const { call: without } = await engine({}, { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' });
    const refused = await without('eval.start', { tasks: [0], trials: 1, policy: { kind: 'remote', url: server.url } });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.policy.apiKey', message: expect.stringMatching(/no POLICY_KEY/) } });
  }, 90_000);

  it('eval.resume sends the key it is given (keys are never stored with a run)', async () => {
    const server = await standIn(answering());
    const { dataDir, ok, finished } = await engine();
    // A run cancelled after its first episode, in this engine's run store.
    const runsRoot = defaultRunsRoot(dataDir);
    const stop = new AbortController();
    const run = await resolveRun({ tasks: [0], trials: 2, maxSteps: 8, workers: 1, policy: { kind: 'remote', url: server.url, apiKey: 'secret' } }, { settings: null, runsRoot });
    const first = await runEvaluation(run, { signal: stop.signal, onEvent: (e) => e.type === 'episode-finished' && stop.abort() });
    expect(first.status).toBe('cancelled');
    const seen = server.authorizations.length;

    await ok('eval.resume', { id: first.run.id, apiKey: 'secret' });
    await finished(first.run.id);
    const info = (await new RunStore(runsRoot).open(first.run.id)).info;
    expect(info.status).toBe('completed');
    expect(JSON.stringify(info)).not.toContain('secret');
    expect(server.authorizations.length).toBeGreaterThan(seen);
    expect(new Set(server.authorizations.slice(seen))).toEqual(new Set(['Api-Key secret']));
  }, 90_000);
});
