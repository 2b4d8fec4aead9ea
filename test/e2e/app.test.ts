import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runProbe } from '../../engine/checks/probe-model.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from './browser.js';
import { startRsdServe, type ServeProcess } from './serve.js';

const require = createRequire(import.meta.url);
const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;

let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  [serve, browser] = await Promise.all([startRsdServe(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function openApp(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('the app in Chromium against rsd serve', () => {
  it('visits every page from the navigation', async () => {
    const { page, errors } = await openApp(serve.url);
    await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
    const pages = [
      ['Checklist', 'What an evaluation needs, probed for real'],
      ['Run', 'No run in progress'],
      ['Results', 'No runs yet'],
      ['Replay', 'No episode to replay'],
      ['System', 'What the engine runs on'],
    ] as const;
    for (const [name, text] of pages) {
      await page.getByRole('navigation').getByRole('link', { name }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
      // A page's text may come after its heading (the runs list, the checklist's rows load from the engine).
      await expect.poll(() => page.getByText(text).count()).toBeGreaterThan(0);
      expect(await page.getByRole('link', { name }).getAttribute('aria-current')).toBe('page');
      expect(page.url()).toContain(`#/${name.toLowerCase()}`);
      await shot(page, `page-${name.toLowerCase()}`);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows the real versions in the System panel and the connection in the status bar', async () => {
    const { page } = await openApp(`${serve.url}#/system`);
    await expect.poll(() => page.getByTestId('mujoco-version').textContent().catch(() => null), { timeout: 20_000 }).toContain('3.14.0');
    expect(await page.getByTestId('node-version').textContent()).toBe(process.versions.node);
    expect(await page.getByTestId('ort-version').textContent()).toBe(ortVersion);
    expect(await page.getByTestId('electron-version').textContent()).toBe('not running in Electron');
    expect(await page.getByTestId('cpu-count').textContent()).toMatch(/^\d+ \(/);
    expect(await page.getByTestId('ep-cpu').textContent()).toContain('available');
    if (process.platform === 'linux' && process.arch === 'x64') {
      // Available only where a test model runs on it: the Checklist's probe (one truth for both pages).
      const runs = await runProbe('webgpu').then(() => true, () => false);
      expect(await page.getByTestId('ep-webgpu').textContent()).toMatch(runs ? /^available/ : /^unavailable webgpu a test model could not run: /);
    }
    expect(await page.getByTestId('connection-kind').textContent()).toBe('Server (WebSocket)');
    expect(await page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
    // The token moved out of the address bar.
    expect(page.url()).not.toContain('token=');
    await page.getByRole('button', { name: 'Probe again' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Probe again' }).isEnabled()).toBe(true);
    await shot(page, 'system-panel');
    await page.context().close();
  });

  it('follows the OS theme', async () => {
    const background = async (scheme: 'light' | 'dark') => {
      const { page } = await openApp(`${serve.url}#/system`, scheme);
      await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
      const color = await page.locator('body').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor);
      await shot(page, `theme-${scheme}`);
      await page.context().close();
      return color;
    };
    expect(await background('light')).toBe('rgb(246, 247, 249)');
    expect(await background('dark')).toBe('rgb(22, 24, 29)');
  });

  it('without the token the engine refuses the page, which says so and stays usable', async () => {
    const { page } = await openApp(`${serve.origin}/#/checklist`);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('closed');
    expect(await page.getByTestId('engine-health').textContent()).toContain('Engine unreachable');
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('Could not connect to the engine');
    expect(await alert.textContent()).toContain('Open the URL that rsd serve printed');
    await page.getByRole('link', { name: 'Results' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Results');
    await shot(page, 'refused-without-token');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.context().close();
  });

  it('shows a lost engine without blocking the app', async () => {
    const { page } = await openApp(`${serve.url}#/system`);
    await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
    await serve.stop();
    await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine unreachable');
    expect(await page.getByRole('alert').textContent()).toContain('Lost the connection to the engine');
    expect(await page.getByRole('button', { name: 'Probe again' }).isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'Replay' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Replay');
    await shot(page, 'engine-lost');
    await page.context().close();
  });
});
