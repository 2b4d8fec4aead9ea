import { describe, expect, it } from 'vitest';
import { runCheck, runChecks } from './helpers.js';

describe('rows that later releases fill', () => {
  it.each([
    ['remote.modal', 'Modal'],
    ['remote.tracker', 'Experiment tracker'],
  ] as const)('%s is shown as not configured, with no fix', async (id, title) => {
    const row = await runCheck(id);
    expect(row).toMatchObject({ id, title, status: 'not-configured', detail: expect.stringMatching(/^Not in this build: a later release adds it\./) });
    expect(row.fix).toBeUndefined();
  });
});

describe('settings.file', () => {
  it('passes with the defaults while no file exists, saying where it will be', async () => {
    const row = await runCheck('settings.file');
    expect(row.status).toBe('pass');
    expect(row.detail).toMatch(/^No settings saved yet, so the defaults are used \(decoding speculative\)\. They will be saved in .*settings\.json\.$/);
  });

  it('passes on a valid file, listing what it holds', async () => {
    const row = await runCheck('settings.file', { settings: { decoding: 'parallel', liberoDir: '/libero' } });
    expect(row.detail).toMatch(/settings\.json: bundle folder not set, LIBERO folder \/libero, LIBERO Python not set, decoding parallel, policy server not set\.$/);
  });

  it('fails on a corrupt file, leaves it alone, and gives the command that moves it aside', async () => {
    const { results } = await runChecks(['settings.file', 'bundle.draft'], { settings: '{"decoding": ' });
    const row = results.get('settings.file')!;
    expect(row.status).toBe('fail');
    expect(row.detail).toMatch(/settings\.json is not valid: not valid JSON: .*The defaults are used and the file is left as it is until you fix it/);
    expect(row.fix).toMatchObject({ kind: 'command', command: expect.stringMatching(/^mv ".*settings\.json" ".*settings\.json\.invalid"$/) });
    // The other rows go on with the defaults (speculative decoding with the default bundle's draft).
    expect(results.get('bundle.draft')!.status).toBe('pass');
  });
});
