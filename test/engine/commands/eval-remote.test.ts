import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PROJECT_PYTHON, projectPython } from '../project-python.js';
import { startStandin, type Standin } from '../policy/remote/standin.js';
import { callCli } from '../cli-call.js';

// `rsd eval --policy ws://HOST:PORT`: the flags, their refusals, and a run through the CLI against
// the openpi stand-in (started with an API key, given through --api-key-env).
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);

let tmp: string;
let server: Standin | null = null;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-remote-'));
  if (python) server = await startStandin(python, ['--api-key', 'sesame']);
}, 40_000);
afterAll(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const call = callCli;

/** Refused before anything runs: exit 2 and one line starting with the flag. */
async function refused(flag: string, ...args: string[]): Promise<string> {
  const { code, stderr } = await call('eval', '--out', path.join(tmp, 'refused'), ...args);
  expect(code, stderr).toBe(2);
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^rsd eval: ${flag.replace(/[-+]/g, '\\$&')}\\b`));
  return lines[0]!;
}

describe('rsd eval --policy: flags', () => {
  it('refuses --bundle with --policy, bundle-only flags, and an address that is not ws:// or wss://', async () => {
    expect(await refused('--bundle', '--bundle', 'x', '--policy', 'ws://127.0.0.1:8000')).toContain('choose one policy');
    expect(await refused('--decoding', '--policy', 'ws://127.0.0.1:8000', '--decoding', 'speculative')).toContain('applies to a bundle');
    expect(await refused('--policy', '--policy', 'http://127.0.0.1:8000')).toContain('expected a ws:// or wss:// address');
  });

  it('refuses --profile, --api-key-env and --policy-timeout without --policy, an unset key variable and a timeout out of range', async () => {
    await refused('--profile', '--profile', 'openpi-libero');
    await refused('--policy-timeout', '--policy-timeout', '5000');
    await refused('--api-key-env', '--api-key-env', 'RSD_KEY');
    expect(await refused('--api-key-env', '--policy', 'ws://127.0.0.1:8000', '--api-key-env', 'RSD_TEST_UNSET_KEY_VAR')).toContain('RSD_TEST_UNSET_KEY_VAR is not set');
    expect(await refused('--api-key-env', '--policy', 'ws://127.0.0.1:8000', '--api-key-env', 'not a name')).toContain('the NAME of an environment variable');
    expect(await refused('--policy-timeout', '--policy', 'ws://127.0.0.1:8000', '--policy-timeout', '5')).toContain('expected an integer in 100..3600000');
  });

  it('refuses an unknown profile and a bad profile file in one line naming the file and the field, before connecting', async () => {
    expect(await refused('--profile', '--policy', 'ws://127.0.0.1:1', '--profile', 'pi0')).toContain('no shipped policy profile "pi0"; shipped: openpi-libero, rsd-server');
    const file = path.join(tmp, 'profile.json');
    await writeFile(file, JSON.stringify({ name: 'mine', observation: {}, action: { dim: 6, execute: 5 } }));
    const line = await refused('--profile', '--policy', 'ws://127.0.0.1:1', '--profile', file);
    expect(line).toContain(`policy profile ${file}: action.dim: `);
  });

  it('a server that cannot be reached fails the run in one line (exit 1)', async () => {
    const { code, stderr } = await call('eval', '--out', path.join(tmp, 'unreachable'), '--policy', 'ws://127.0.0.1:1', '--tasks', '0', '--trials', '1', '--policy-timeout', '2000');
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual(['rsd eval: cannot reach the policy server at ws://127.0.0.1:1: ECONNREFUSED (tried 3 times)']);
  });
});

describe.skipIf(!python)('rsd eval --policy against a server', () => {
  it('runs the episodes and reports the policy server; the API key comes from the named variable', async () => {
    process.env.RSD_TEST_POLICY_KEY = 'sesame';
    try {
      const out = path.join(tmp, 'runs');
      const { code, stdout, stderr } = await call('eval', '--policy', server!.url, '--api-key-env', 'RSD_TEST_POLICY_KEY', '--tasks', '0', '--trials', '2', '--max-steps', '5', '--workers', '1', '--out', out, '--json');
      expect(code, stderr).toBe(0);
      const report = JSON.parse(stdout) as { status: string; results: { config: Record<string, unknown>; total: { episodes: number; errors: number } } };
      expect(report.status).toBe('completed');
      expect(report.results.total).toMatchObject({ episodes: 2, errors: 0 });
      expect(report.results.config).toMatchObject({ bundle: { name: 'standin-policy' }, policy: { kind: 'remote', url: server!.url, profile: 'openpi-libero' } });
      const text = await call('eval', '--resume', (JSON.parse(stdout) as { runId: string }).runId, '--out', out, '--api-key-env', 'RSD_TEST_POLICY_KEY');
      // Nothing left to run: the finished run resumes to the same results.
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/policy server ws:\/\/\S+ \(standin-policy, profile openpi-libero\)/);
      const shown = await call('runs', 'show', (JSON.parse(stdout) as { runId: string }).runId, '--runs', out);
      expect(shown.stdout).toMatch(/decoding parallel; policy server ws:\/\/\S+: standin-policy \(ws:\/\/\S+\), profile openpi-libero/);
    } finally {
      delete process.env.RSD_TEST_POLICY_KEY;
    }
  }, 120_000);
});
