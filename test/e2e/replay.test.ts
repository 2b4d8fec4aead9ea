// Replay in Chromium against a real `rsd serve`: a real evaluation is written into the server's
// data folder, then, as a user would: open Replay, pick the run and an episode, play, scrub, switch
// camera modes, and check that the 3D view draws something and keeps up while scrubbing.
//
// IMPORTANT: Chromium runs with --disable-gpu here, so WebGL is SwiftShader (software, on the CPU).
// The frame rate measured is that of software rendering; see FPS_FLOOR.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvaluation } from '../../engine/eval/runner.js';
import { writeSyntheticBundle } from '../../engine/policy/synthetic.js';
import { ARTIFACTS, launchChromium } from './browser.js';
import { startRsdServe, type ServeProcess } from './serve.js';

/**
 * The lowest scrubbing frame rate accepted. The goal is 60 fps on a real GPU; SwiftShader on this
 * machine's CPU measured ~60 fps too (the rate headless Chromium's frames are paced at), so the floor
 * leaves room for a loaded machine without letting a per-frame rebuild of the scene (a few fps) pass.
 */
const FPS_FLOOR = 30;

let serve: ServeProcess;
let browser: Browser;
let bundles: string;
let runId: string;

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-e2e-replay-bundles-'));
  await writeSyntheticBundle(path.join(bundles, 'tiny'), 'tiny', 1);
  [serve, browser] = await Promise.all([startRsdServe(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await rm(bundles, { recursive: true, force: true });
});

async function openReplay(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${serve.url}#/replay`);
  await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');
  return { page, errors };
}

/** Spread of the luminance of an element's pixels (from a screenshot, decoded in the page): 0 for a blank area. */
async function pixelSpread(page: Page, target: Locator): Promise<{ std: number; distinct: number }> {
  const png = (await target.screenshot()).toString('base64');
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    let sum = 0;
    let sq = 0;
    const seen = new Set<number>();
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
      sum += y;
      sq += y * y;
      seen.add((data[i]! >> 3) | ((data[i + 1]! >> 3) << 5) | ((data[i + 2]! >> 3) << 10));
    }
    const mean = sum / n;
    return { std: Math.sqrt(Math.max(sq / n - mean * mean, 0)), distinct: seen.size };
  }, png);
}

const framesDrawn = async (canvas: Locator) => Number((await canvas.getAttribute('data-frames')) ?? 0);

/** Moves the scrubber as a user's drag does: the input's native value setter, then an input event. */
async function scrubTo(page: Page, value: number): Promise<void> {
  await page.getByRole('slider', { name: 'Timeline' }).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(v));
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

describe('Replay in Chromium against rsd serve', () => {
  it('says plainly that there is nothing to replay before any run', async () => {
    const { page, errors } = await openReplay();
    await expect.poll(() => page.getByRole('heading', { level: 2, name: 'No episode to replay' }).isVisible()).toBe(true);
    expect(await page.locator('main').textContent()).toContain('No runs yet: start an evaluation on the Run page');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('replays a real episode: picker, play, scrub, camera modes, a 3D view that draws and keeps up', async () => {
    // A real small evaluation into the server's own run store.
    const report = await runEvaluation({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 2, maxSteps: 60, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') });
    runId = report.run.id;
    const episodes = report.results.episodes;
    expect(episodes.map((e) => e.trajectory)).toEqual(['task00-trial000.json', 'task00-trial001.json']);

    const { page, errors } = await openReplay();
    const runSelect = page.getByRole('combobox', { name: 'Run' });
    const episodeSelect = page.getByRole('combobox', { name: 'Episode' });
    await expect.poll(() => runSelect.inputValue()).toBe(runId);
    await runSelect.selectOption(runId);

    // Failed episodes first, grouped, each saying how it ended.
    await expect.poll(() => episodeSelect.locator('option').allTextContents()).toHaveLength(2);
    const groups = await episodeSelect.locator('optgroup').evaluateAll((gs) => gs.map((g) => (g as HTMLOptGroupElement).label));
    const failed = episodes.filter((e) => e.outcome !== 'success').length;
    if (failed > 0) expect(groups[0]).toMatch(/^(Failed|Errors) \(\d+\)$/);
    const second = episodes[1]!;
    await episodeSelect.selectOption(`${second.taskId}/${second.trial}`);
    const outcome = page.getByTestId('replay-outcome');
    await expect.poll(() => outcome.textContent()).toContain(`trial ${second.trial}`);
    const expected = second.outcome === 'success' ? `Success at step ${second.steps}` : second.outcome === 'failure' ? 'Failure: ran out of steps at the maximum of 60' : `Error at step ${second.steps}`;
    expect(await outcome.textContent()).toContain(expected);

    // The 3D view draws the scene.
    const canvas = page.getByTestId('replay-canvas');
    await expect.poll(() => framesDrawn(canvas), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await pixelSpread(page, canvas)).std).toBeGreaterThan(20);
    expect((await pixelSpread(page, canvas)).distinct).toBeGreaterThan(200);
    await page.screenshot({ path: path.join(ARTIFACTS, 'replay-orbit.png') });

    // Play: the step readout moves on; pause stops it.
    const readout = page.getByTestId('replay-step');
    expect(await readout.textContent()).toMatch(/^step 0 \/ 60/);
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(async () => Number(/step (\d+)/.exec((await readout.textContent()) ?? '')?.[1]), { timeout: 10_000 }).toBeGreaterThan(5);
    await page.getByRole('button', { name: 'Pause' }).click();
    const paused = await readout.textContent();
    await page.waitForTimeout(300);
    expect(await readout.textContent()).toBe(paused);

    // Single steps and the speed choice.
    await scrubTo(page, 30);
    await expect.poll(() => readout.textContent()).toMatch(/^step 30 \/ 60 · 1\.50 s/);
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect.poll(() => readout.textContent()).toMatch(/^step 31 \//);
    await page.getByRole('button', { name: 'Step back' }).click();
    await page.getByRole('button', { name: 'Step back' }).click();
    await expect.poll(() => readout.textContent()).toMatch(/^step 29 \//);
    expect(await page.getByTestId('replay-chunk').textContent()).toMatch(/^#4 of \d+, steps 24–31: /);
    await page.getByRole('combobox', { name: 'Speed' }).selectOption('4');
    await page.getByRole('checkbox', { name: 'Loop' }).check();

    // Camera modes: each draws a different picture of a non-blank scene.
    const pictures: Record<string, number> = {};
    for (const [name, file] of [
      ['Agent view', 'replay-agentview.png'],
      ['Follow gripper', 'replay-follow.png'],
      ['Orbit', 'replay-orbit-step29.png'],
    ] as const) {
      const before = await framesDrawn(canvas);
      await page.getByRole('button', { name }).click();
      expect(await page.getByRole('button', { name }).getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => framesDrawn(canvas)).toBeGreaterThan(before);
      const spread = await pixelSpread(page, canvas);
      expect(spread.std, name).toBeGreaterThan(20);
      pictures[name] = spread.std;
      await page.screenshot({ path: path.join(ARTIFACTS, file) });
    }
    expect(new Set(Object.values(pictures)).size).toBe(3);

    // Dragging orbits the camera (a new frame is drawn).
    const box = (await canvas.boundingBox())!;
    const beforeDrag = await framesDrawn(canvas);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 30, { steps: 6 });
    await page.mouse.up();
    await expect.poll(() => framesDrawn(canvas)).toBeGreaterThan(beforeDrag);

    // Scrubbing for ~2 s, the scrubber moved every animation frame, frame times taken in the page.
    const measured = await page.getByRole('slider', { name: 'Timeline' }).evaluate(
      (el, durationMs) =>
        new Promise<{ frames: number; ms: number; worstMs: number; drawnBefore: number; drawnAfter: number }>((resolve) => {
          const input = el as HTMLInputElement;
          const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
          const canvasEl = document.querySelector<HTMLCanvasElement>('[data-testid="replay-canvas"]')!;
          const drawnBefore = Number(canvasEl.dataset.frames);
          const max = Number(input.max);
          const stamps: number[] = [];
          let k = 0;
          const frame = (now: number) => {
            stamps.push(now);
            // Back and forth across the whole episode, a little under one step per frame.
            const phase = (k++ * 0.9) % (2 * max);
            setValue.call(input, String(phase <= max ? phase : 2 * max - phase));
            input.dispatchEvent(new Event('input', { bubbles: true }));
            if (now - stamps[0]! < durationMs) requestAnimationFrame(frame);
            else {
              let worst = 0;
              for (let i = 1; i < stamps.length; i++) worst = Math.max(worst, stamps[i]! - stamps[i - 1]!);
              requestAnimationFrame(() => resolve({ frames: stamps.length - 1, ms: now - stamps[0]!, worstMs: worst, drawnBefore, drawnAfter: Number(canvasEl.dataset.frames) }));
            }
          };
          requestAnimationFrame(frame);
        }),
      2000,
    );
    const fps = (measured.frames / measured.ms) * 1000;
    const drawn = measured.drawnAfter - measured.drawnBefore;
    console.log(`replay scrubbing: ${fps.toFixed(1)} fps over ${measured.ms.toFixed(0)} ms (${measured.frames} frames, ${drawn} drawn, worst frame ${measured.worstMs.toFixed(1)} ms) in headless Chromium with SwiftShader WebGL`);
    // Every animation frame drew the scene anew (not a view that skips frames to look fast).
    expect(drawn).toBeGreaterThanOrEqual(measured.frames - 2);
    expect(fps).toBeGreaterThan(FPS_FLOOR);
    await page.screenshot({ path: path.join(ARTIFACTS, 'replay-scrubbed.png') });

    expect(errors).toEqual([]);
    await page.context().close();
  });
});
