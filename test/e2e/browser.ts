import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (Playwright gives each launch a fresh, empty profile) (apt-get install chromium); Playwright's own browser download cannot work here. */
export const CHROMIUM = process.env.RSD_CHROMIUM ?? '/usr/bin/chromium';

export const ARTIFACTS = path.resolve('test-artifacts', 'e2e');

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
