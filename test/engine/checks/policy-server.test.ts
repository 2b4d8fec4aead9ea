// The policy.server row against a real WebSocket server started here: a Node stand-in for a policy
// server speaking openpi's protocol (policy-server-stand-in.ts), not python/policy_server itself.
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyServerProbeError, healthzUrl, plain, probePolicyServer } from '../../../engine/checks/policy-server-probe.js';
import { runCheck } from './helpers.js';
import { closedPort, startStandInPolicyServer, type StandIn, type StandInOptions } from './policy-server-stand-in.js';

const servers: StandIn[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function standIn(options?: StandInOptions): Promise<StandIn> {
  const server = await startStandInPolicyServer(options);
  servers.push(server);
  return server;
}

describe('policy.server', () => {
  it('is not configured without a server, saying what it is for and how to start one', async () => {
    const row = await runCheck('policy.server');
    expect(row).toMatchObject({ id: 'policy.server', title: 'Policy server', status: 'not-configured', fix: { kind: 'setting', setting: 'policyServer' } });
    expect(row.detail).toMatch(/^No policy server set: runs use a model bundle in this process\./);
    expect(row.detail).toContain('`python -m policy_server --checkpoint CKPT.pt`');
    expect(row.detail).toContain('scripts/serve_policy.py');
  });

  it("passes against a server that sends its metadata, showing what matters and the round trip", async () => {
    const server = await standIn();
    const row = await runCheck('policy.server', { settings: { policyServer: server.url, policyProfile: 'rsd-server' } });
    expect(row.status).toBe('pass');
    const lines = row.detail.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${server.url} answered \\(profile rsd-server, no key\\): /healthz 200 in [\\d.]+ ms; connected and got its metadata in [\\d.]+ ms\\.$`));
    expect(lines.slice(1)).toEqual([
      'Server: rsd-policy-server, protocol 1, kind rsd-checkpoint',
      'Model: stand-in-policy, sha256:0123456789abcdef',
      'Observation: cameras agentview 128x128, wrist 128x128; proprio 8; object poses; instruction',
      'Action: dim 7, chunk 8',
      'Decoding: speculative, accept threshold, threshold 0.7 (offers parallel, autoregressive, speculative)',
      // A byte-string key and a numpy array under byte-string keys, as Python's msgpack writes them.
      'Other metadata: action_scale "ndarray <f4 [7]"',
    ]);
    expect(row.fix).toBeUndefined();
    expect(server.authorizations).toEqual([undefined]);
  });

  it("passes on openpi's usual empty metadata, saying the profile alone decides", async () => {
    const server = await standIn({ metadata: {} });
    const row = await runCheck('policy.server', { settings: { policyServer: server.url } });
    expect(row.status).toBe('pass');
    expect(row.detail).toMatch(/\(profile the run's default, no key\)/);
    expect(row.detail.split('\n')[1]).toMatch(/^Metadata: an empty map/);
  });

  it('warns when the WebSocket works but /healthz does not answer 200', async () => {
    const server = await standIn({ mode: 'no-healthz' });
    const row = await runCheck('policy.server', { settings: { policyServer: server.url } });
    expect(row.status).toBe('warn');
    expect(row.detail).toMatch(/\/healthz 404 in/);
    expect(row.detail).toMatch(/GET \/healthz answered 404, not 200: runs can use the WebSocket/);
  });

  it('fails on a refused port, with the address setting as the fix', async () => {
    const port = await closedPort();
    const row = await runCheck('policy.server', { settings: { policyServer: `ws://127.0.0.1:${port}` } });
    expect(row).toMatchObject({ status: 'fail', fix: { kind: 'setting', setting: 'policyServer' } });
    expect(row.detail).toMatch(new RegExp(`^nothing is listening at 127\\.0\\.0\\.1:${port} \\(connection refused\\)\\. Is the server running there\\?`));
  });

  it('fails with HTTP 401 when the server wants a key, and passes once the key comes from the named variable', async () => {
    const server = await standIn({ apiKey: 'secret' });

    const none = await runCheck('policy.server', { settings: { policyServer: server.url } });
    expect(none).toMatchObject({ status: 'fail', fix: { kind: 'setting', setting: 'policyApiKeyEnv' } });
    expect(none.detail).toBe(`127.0.0.1:${new URL(server.url).port} refused the connection with HTTP 401: invalid API key. It wants a key: set policyApiKeyEnv to the name of an environment variable holding it.`);

    const wrong = await runCheck('policy.server', { settings: { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' }, env: { POLICY_KEY: 'guess' } });
    expect(wrong.status).toBe('fail');
    expect(wrong.detail).toMatch(/HTTP 401.* It did not accept the key in \$POLICY_KEY\.$/);

    const right = await runCheck('policy.server', { settings: { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' }, env: { POLICY_KEY: 'secret' } });
    expect(right.status).toBe('pass');
    expect(right.detail).toMatch(/\(profile the run's default, key from \$POLICY_KEY\)/);
    expect(server.authorizations).toEqual([undefined, 'Api-Key guess', 'Api-Key secret']);
  });

  it('fails, naming the variable, when the key variable is not in the engine environment', async () => {
    const server = await standIn();
    const row = await runCheck('policy.server', { settings: { policyServer: server.url, policyApiKeyEnv: 'POLICY_KEY' }, env: {} });
    expect(row).toMatchObject({ status: 'fail', fix: { kind: 'command', command: 'export POLICY_KEY=YOUR_KEY' } });
    expect(row.detail).toMatch(/the engine's environment has no POLICY_KEY/);
    expect(server.authorizations).toEqual([]);
  });

  it('fails when the server closes without metadata, or sends its error as text', async () => {
    const closing = await standIn({ mode: 'close' });
    const closed = await runCheck('policy.server', { settings: { policyServer: closing.url } });
    expect(closed.status).toBe('fail');
    expect(closed.detail).toMatch(/closed the connection \(code 1000\) before sending its metadata\. A server speaking openpi's protocol sends its metadata first/);

    const failing = await standIn({ mode: 'text' });
    const text = await runCheck('policy.server', { settings: { policyServer: failing.url } });
    expect(text.status).toBe('fail');
    expect(text.detail).toMatch(/sent text instead of its metadata: RuntimeError: the policy failed to load\./);
  });
});

describe('probePolicyServer', () => {
  it('gives up on a server that never sends its metadata (timeout), with a named reason', async () => {
    // The stand-in never answers, so the outcome does not depend on how fast this machine is.
    const server = await standIn({ mode: 'hang' });
    const probe = probePolicyServer(server.url, { timeoutMs: 300 });
    await expect(probe).rejects.toBeInstanceOf(PolicyServerProbeError);
    await expect(probe).rejects.toMatchObject({ reason: 'timeout', message: `no answer from 127.0.0.1:${new URL(server.url).port} within 0.3 s` });
  });

  it('stops when its signal aborts', async () => {
    const server = await standIn({ mode: 'hang' });
    const controller = new AbortController();
    const probe = probePolicyServer(server.url, { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error('check timed out'));
    await expect(probe).rejects.toMatchObject({ reason: 'aborted' });
  });

  it('sends the key on /healthz and the upgrade, and returns the metadata as plain values', async () => {
    const server = await standIn({ apiKey: 'k' });
    const probe = await probePolicyServer(server.url, { apiKey: 'k' });
    expect(probe.health.status).toBe(200);
    expect(probe.metadata).toMatchObject({ server: 'rsd-policy-server', action: { dim: 7, chunk: 8 }, action_scale: 'ndarray <f4 [7]' });
  });

  it('derives the health address from the WebSocket address', () => {
    expect(healthzUrl('ws://10.0.0.2:8000')).toBe('http://10.0.0.2:8000/healthz');
    expect(healthzUrl('wss://policy.example.org/some/path?x=1')).toBe('https://policy.example.org/healthz');
  });

  it('reads numpy scalars and byte strings in metadata', () => {
    const f8 = Buffer.alloc(8);
    f8.writeDoubleLE(0.25);
    const scalar = new Map<unknown, unknown>([
      [Buffer.from('__npgeneric__'), true],
      [Buffer.from('data'), f8],
      [Buffer.from('dtype'), '<f8'],
    ]);
    const decoded = new Packr({ useRecords: false, mapsAsObjects: false }).unpack(new Packr({ useRecords: false }).pack(new Map<unknown, unknown>([['threshold', scalar], ['blob', Buffer.alloc(3)]])));
    expect(plain(decoded)).toEqual({ threshold: 0.25, blob: '3 bytes' });
  });
});
