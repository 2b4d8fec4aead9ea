// The Checklist in Chromium against a real `rsd serve` with its own data folder: run every check,
// fix the bundle row through its folder field, point the policy server row at a stand-in server,
// keep the results across a reload.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_IDS } from '../../engine/api/checks.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { startStandInPolicyServer, type StandIn } from '../engine/checks/policy-server-stand-in.js';
import { ARTIFACTS, fullPageShot as shot, launchChromium } from './browser.js';
import { startRsdServe, type ServeProcess } from './serve.js';

const FINAL = ['pass', 'warn', 'fail', 'unknown', 'not-configured'];
const LIBERO = path.resolve('../shared/libero');

let serve: ServeProcess;
let browser: Browser;
let bundles: string;
let policyServer: StandIn;

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-e2e-bundles-'));
  await writeSyntheticBundle(path.join(bundles, 'tiny'), 'tiny', 1);
  // LIBERO's files, where this machine has them, so that row has real counts to show.
  // And no default bundle, as in an install without assets/bundles/default, so that the test walks
  // the "choose a bundle folder" fix (the shipped bundle's rows: test/engine/checks/bundle.test.ts).
  const env: Record<string, string> = { RSD_DEFAULT_BUNDLE: path.join(os.tmpdir(), 'rsd-no-default-bundle'), ...(existsSync(LIBERO) ? { RSD_LIBERO_DIR: LIBERO } : {}) };
  // A Node stand-in for a policy server speaking openpi's protocol (metadata first, /healthz).
  [serve, browser, policyServer] = await Promise.all([startRsdServe({ env }), launchChromium(), startStandInPolicyServer()]);
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await policyServer?.close();
  await rm(bundles, { recursive: true, force: true });
});

async function openChecklist(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serve.origin });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${serve.url}#/checklist`);
  await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
  return { page, errors };
}

const statusOf = (page: Page, id: string) => page.getByTestId(`check-${id}`).getAttribute('data-status');
const statuses = (page: Page) => Promise.all(CHECK_IDS.map((id) => statusOf(page, id)));

describe('the Checklist in Chromium against rsd serve', () => {
  it('runs every check with progress, offers fixes, takes a bundle folder, and keeps the results', async () => {
    const { page, errors } = await openChecklist();
    await expect.poll(() => statuses(page)).toEqual(CHECK_IDS.map(() => 'not-checked'));

    // Every text the progress line shows while the run goes (its checks take a second or more).
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add((await page.getByTestId('checks-progress').textContent()) ?? '');
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await page.getByRole('button', { name: 'Run all checks' }).click();

    await expect.poll(() => statuses(page), { timeout: 60_000 }).toSatisfy((all: (string | null)[]) => all.every((s) => FINAL.includes(s ?? '')));
    await expect.poll(() => page.getByRole('button', { name: 'Run all checks' }).isEnabled()).toBe(true);
    watching = false;
    await watcher;
    expect([...seen].some((t) => /^\d+ of 20 done: checking .+…$/.test(t))).toBe(true);
    expect(await page.getByTestId('checks-summary').textContent()).toMatch(/^20 of 20 checked: /);
    expect(await statusOf(page, 'ep.cpu')).toBe('pass');
    expect(await statusOf(page, 'sim.mujoco')).toBe('pass');
    expect(await statusOf(page, 'sim.scene')).toBe('pass');
    expect(await statusOf(page, 'bundle.manifest')).toBe('warn');
    expect(await statusOf(page, 'policy.server')).toBe('not-configured');
    if (existsSync(LIBERO)) expect(await page.getByTestId('check-libero.files').textContent()).toContain('libero_90: 90/90 BDDL, 90/90 init files');

    // A command fix copies exactly what it shows (WebGPU's, where it has one; CUDA's install otherwise).
    const commandRow = page.locator('[data-testid^="check-"]', { has: page.locator('.fix-command') }).first();
    const command = (await commandRow.locator('.fix-code').textContent())!;
    await commandRow.getByRole('button', { name: `Copy command: ${command}` }).click();
    await expect.poll(() => commandRow.locator('.fix-command button').textContent()).toBe('Copied');
    expect(await page.evaluate(() => (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText())).toBe(command);

    await shot(page, 'checklist');

    // The bundle row's fix: a folder field; a bad path is named inline, a real bundle is checked.
    const bundleRow = page.getByTestId('check-bundle.manifest');
    const field = bundleRow.getByLabel('Bundle folder');
    await field.fill('/no/such/bundle');
    await bundleRow.getByRole('button', { name: 'Use this folder' }).click();
    await expect.poll(() => bundleRow.getByRole('alert').textContent()).toBe('params.bundleDir: there is no folder at /no/such/bundle');
    await field.fill(path.join(bundles, 'tiny'));
    await bundleRow.getByRole('button', { name: 'Use this folder' }).click();
    for (const id of ['bundle.models', 'bundle.rfsq', 'bundle.draft']) await expect.poll(() => statusOf(page, id), { timeout: 30_000 }).toBe('pass');
    expect(await bundleRow.textContent()).toContain('"synthetic-tiny"');
    await shot(page, 'checklist-with-bundle');

    // The policy server row's fix: an address field, as a user types it; the row then reaches the
    // server and shows its metadata.
    const serverRow = page.getByTestId('check-policy.server');
    const address = serverRow.getByLabel('Policy server address');
    await address.fill('127.0.0.1:8000');
    await serverRow.getByRole('button', { name: 'Use this server' }).click();
    await expect.poll(() => serverRow.getByRole('alert').textContent()).toMatch(/^params\.policyServer: a ws:\/\/ or wss:\/\/ address/);
    await address.fill(policyServer.url);
    await serverRow.getByRole('button', { name: 'Use this server' }).click();
    await expect.poll(() => statusOf(page, 'policy.server'), { timeout: 30_000 }).toBe('pass');
    const detail = (await serverRow.locator('.check-detail').textContent())!;
    expect(detail).toMatch(new RegExp(`^${policyServer.url} answered \\(profile the run's default, no key\\): /healthz 200 in`));
    expect(detail).toContain('Server: rsd-policy-server, protocol 1, kind rsd-checkpoint');
    expect(detail).toContain('Observation: cameras agentview 128x128, wrist 128x128; proprio 8; object poses; instruction');
    expect(detail).toContain('Action: dim 7, chunk 8');
    await serverRow.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'checklist-policy-server.png') });

    // Results live in the engine: a reload shows them without running anything.
    await page.reload();
    await expect.poll(() => statusOf(page, 'bundle.rfsq')).toBe('pass');
    expect(await statusOf(page, 'ep.cpu')).toBe('pass');
    expect(await statusOf(page, 'policy.server')).toBe('pass');

    // One row alone, again.
    await page.getByRole('button', { name: 'Check again: Embedded MuJoCo' }).click();
    await expect.poll(() => statusOf(page, 'sim.mujoco'), { timeout: 20_000 }).toBe('pass');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('follows the dark theme', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${serve.url}#/checklist`);
    await expect.poll(() => statusOf(page, 'ep.cpu')).toBe('pass'); // from the run above, kept by the engine
    const colors = await page.getByTestId('check-ep.cpu').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor);
    expect(colors).toBe('rgb(31, 34, 41)');
    await shot(page, 'checklist-dark');
    await context.close();
  });
});
