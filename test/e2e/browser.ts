import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

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

/** A picture of the whole page: its main area scrolls inside the window, so the window grows to all of it first. */
export async function fullPageShot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  const height = await page.locator('main').evaluate((el) => el.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height + 40) });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(size);
}
