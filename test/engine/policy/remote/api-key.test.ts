import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyConnectionError } from '../../../../engine/policy/remote/errors.js';
import { probeHealth } from '../../../../engine/policy/remote/health.js';
import { RemotePolicy } from '../../../../engine/policy/remote/remote-policy.js';
import { NO_PROJECT_PYTHON, projectPython } from '../../project-python.js';
import { startStandin, type Standin } from './standin.js';

// A server started with an API key: `Authorization: Api-Key KEY` opens it, anything else is HTTP 401.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);

let server: Standin;
beforeAll(async () => {
  if (python) server = await startStandin(python, ['--api-key', 'sesame']);
}, 40_000);
afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!python)('a policy server with an API key', () => {
  it('accepts the right key', async () => {
    const policy = await RemotePolicy.connect({ url: server.url, apiKey: 'sesame' });
    expect(policy.metadata.name).toBe('standin-policy');
    await policy.close();
  });

  it('refuses a wrong key and no key at once (no retries), saying which', async () => {
    const wrong = await RemotePolicy.connect({ url: server.url, apiKey: 'open-up' }).catch((e: Error) => e);
    expect(wrong).toBeInstanceOf(PolicyConnectionError);
    expect((wrong as Error).message).toMatch(/^the policy server at ws:\/\/\S+ refused the connection: HTTP 401 Unauthorized: the API key was refused$/);
    await expect(RemotePolicy.connect({ url: server.url })).rejects.toThrow(/HTTP 401 Unauthorized: it wants an API key \(--api-key-env VAR\)$/);
  });

  it('answers /healthz without a key', async () => {
    expect((await probeHealth(server.url)).ok).toBe(true);
  });
});
