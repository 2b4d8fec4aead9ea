import path from 'node:path';
import { _electron } from 'playwright-core';
import { bridgeMethodName, REQUEST_TYPES } from '../../engine/api/names.js';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs helper shared with `npm start`
import { findElectronBinary } from '../../scripts/electron-binary.mjs';
import { ARTIFACTS } from './browser.js';

const electron = findElectronBinary() as { path: string } | { missing: string };
const reason = 'missing' in electron ? electron.missing : '';
if (reason) console.log(`Electron tests skipped: ${reason}`);

// Runs on users' and CI machines that have the Electron binary; these machines cannot download it.
describe.skipIf(Boolean(reason))('the Electron app', () => {
  it('opens a sandboxed window whose System panel reports Electron', async () => {
    // ELECTRON_RUN_AS_NODE would start Electron as plain Node.
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'ELECTRON_RUN_AS_NODE'));
    const app = await _electron.launch({ executablePath: (electron as { path: string }).path, args: ['.'], env });
    try {
      const window = await app.firstWindow();
      expect(window.url()).toBe('app://rsd/index.html');
      await window.getByRole('link', { name: 'System' }).click();
      await expect.poll(() => window.getByTestId('electron-version').textContent(), { timeout: 20_000 }).toMatch(/^\d+\.\d+\.\d+/);
      expect(await window.getByTestId('connection-kind').textContent()).toBe('Electron');
      // The preload exposes only its functions: no Node, no ipcRenderer.
      const exposed = await window.evaluate(() => {
        const page = globalThis as unknown as { rsd: object; require?: unknown; process?: unknown };
        return { keys: Object.keys(page.rsd).sort(), require: typeof page.require, process: typeof page.process };
      });
      // One function per request (engine/api/names.ts), the native dialogs, and the event subscription.
      const expected = [...REQUEST_TYPES.map(bridgeMethodName), 'chooseFolder', 'chooseOpenFile', 'chooseSaveFile', 'onEvent'].sort();
      expect(exposed).toEqual({ keys: expected, require: 'undefined', process: 'undefined' });
      await window.screenshot({ path: path.join(ARTIFACTS, 'electron-system.png') });
      // Deep links (issue 19 item 3): the address's hash works on app:// as on http://, so a reload keeps the page.
      expect(window.url()).toBe('app://rsd/index.html#/system');
      await window.reload();
      await expect.poll(() => window.getByRole('heading', { level: 1 }).textContent(), { timeout: 20_000 }).toBe('System');
    } finally {
      await app.close();
    }
  });
});
