// Replay in Chromium against a real `rsd serve`: a real evaluation is written into the server's
// data folder, then, as a user would: open Replay, pick the run and an episode, play, scrub, switch
// camera modes, and check that the 3D view draws something and keeps up while scrubbing.
//
// IMPORTANT: Chromium runs with --disable-gpu here, so WebGL is SwiftShader (software, on the CPU).
// The frame rate measured is that of software rendering; it is printed, not asserted (see below).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../engine/eval/evaluate.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { RunStore } from '../../engine/runs/store.js';
import { ARTIFACTS, launchChromium } from './browser.js';
import { startRsdServe, type ServeProcess } from './serve.js';

/*
 * Scrubbing and playing (1x) frame rates are printed, not asserted: a test must not depend on the speed of a shared
 * machine (with two test workers on 2 CPUs the best 2 s window fell to 19 fps under load). The goal
 * is 60 fps, which a GPU reaches easily (about 40 draw calls a frame); here Chromium has no GPU and
 * WebGL is SwiftShader, where replay uses its lighter software profile (scene-view.ts). Measured on
 * 2026-11-25: 60 fps on an idle machine, 23 to 55 fps with evaluations sharing the CPUs. What is
 * asserted is that every animation frame drew the scene anew (a view that skips frames fails).
 * Playing at 1x, issue 19's target is at least 30 fps in software: docs/benchmarks.md, "Replay frame
 * rate", has the figures before and after the software profile's shadow map was drawn 10 times a second.
 */

/**
 * The browser globals the in-page functions below use (this file is compiled for Node, without the
 * DOM library): they run in Chromium, where these exist.
 */
interface InPage {
  requestAnimationFrame(callback: (now: number) => void): number;
  document: { querySelector(selector: string): { dataset: Record<string, string | undefined> } | null };
  createImageBitmap(blob: unknown): Promise<{ width: number; height: number }>;
  OffscreenCanvas: new (width: number, height: number) => {
    getContext(kind: '2d'): { drawImage(image: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  };
  Blob: new (parts: unknown[], options: { type: string }) => unknown;
  Event: new (type: string, init: { bubbles: boolean }) => unknown;
}
/** A video element, as the in-page functions use it. */
interface VideoLike {
  muted: boolean;
  src: string;
  videoWidth: number;
  videoHeight: number;
  onloadedmetadata: (() => void) | null;
  onerror: (() => void) | null;
}
/** A range input, as the in-page functions use it. */
interface RangeInput {
  max: string;
  dispatchEvent(event: unknown): boolean;
}

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

async function openReplay(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, colorScheme: 'light', acceptDownloads: true });
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
    const w = globalThis as unknown as InPage;
    const bitmap = await w.createImageBitmap(new w.Blob([bytes], { type: 'image/png' }));
    const canvas = new w.OffscreenCanvas(bitmap.width, bitmap.height);
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

/** A picture once the view has settled (with software WebGL it draws at a lower resolution while moving). */
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.waitForTimeout(400);
  if (!fullPage) return void (await page.screenshot({ path: path.join(ARTIFACTS, name) }));
  // The page's main area scrolls inside the window, so the window grows to all of it for the picture.
  const size = page.viewportSize()!;
  // (Again while it grows: the 3D view's height follows the window's.)
  for (let i = 0; i < 4; i++) {
    const extra = await page.locator('main').evaluate((el) => el.scrollHeight - el.clientHeight);
    if (extra <= 0) break;
    await page.setViewportSize({ width: size.width, height: page.viewportSize()!.height + extra });
  }
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
  await page.setViewportSize(size);
}

/** Moves the scrubber as a user's drag does: the input's native value setter, then an input event. */
async function scrubTo(page: Page, value: number): Promise<void> {
  await page.getByRole('slider', { name: 'Timeline' }).evaluate((el, v) => {
    const input = el as unknown as RangeInput;
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')!.set!.call(input, String(v));
    input.dispatchEvent(new (globalThis as unknown as InPage).Event('input', { bubbles: true }));
  }, value);
}

interface ScrubMeasurement {
  frames: number;
  ms: number;
  worstMs: number;
  drawnBefore: number;
  drawnAfter: number;
}

/** Moves the scrubber every animation frame for `durationMs`, back and forth over the episode, and times the frames in the page. */
function scrubFor(page: Page, durationMs: number): Promise<ScrubMeasurement> {
  return page.getByRole('slider', { name: 'Timeline' }).evaluate(
    (el, duration) =>
      new Promise<ScrubMeasurement>((resolve) => {
        const w = globalThis as unknown as InPage;
        const input = el as unknown as RangeInput;
        // The native setter, which React watches, as a user's drag sets the value.
        const setValue = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')!.set!;
        const canvasEl = w.document.querySelector('[data-testid="replay-canvas"]')!;
        const drawnBefore = Number(canvasEl.dataset.frames);
        const max = Number(input.max);
        const stamps: number[] = [];
        let k = 0;
        const frame = (now: number) => {
          stamps.push(now);
          // A little under one step per frame.
          const phase = (k++ * 0.9) % (2 * max);
          setValue.call(input, String(phase <= max ? phase : 2 * max - phase));
          input.dispatchEvent(new w.Event('input', { bubbles: true }));
          if (now - stamps[0]! < duration) return void w.requestAnimationFrame(frame);
          let worst = 0;
          for (let i = 1; i < stamps.length; i++) worst = Math.max(worst, stamps[i]! - stamps[i - 1]!);
          // One more frame, so the view's draw of the last position is counted.
          w.requestAnimationFrame(() => resolve({ frames: stamps.length - 1, ms: now - stamps[0]!, worstMs: worst, drawnBefore, drawnAfter: Number(canvasEl.dataset.frames) }));
        };
        w.requestAnimationFrame(frame);
      }),
    durationMs,
  );
}

/** A WebM file's frame size as Chromium decodes it (in a blank page of the context: the app's CSP allows no media). */
async function videoFrameSize(page: Page, video: Buffer): Promise<{ width: number; height: number }> {
  const blank = await page.context().newPage();
  try {
    return await blank.evaluate(async (b64) => {
      const w = globalThis as unknown as { document: { createElement(tag: 'video'): VideoLike }; Blob: InPage['Blob']; URL: { createObjectURL(b: unknown): string } };
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const element = w.document.createElement('video');
      element.muted = true;
      element.src = w.URL.createObjectURL(new w.Blob([bytes], { type: 'video/webm' }));
      await new Promise<void>((resolve, reject) => {
        element.onloadedmetadata = () => resolve();
        element.onerror = () => reject(new Error('the video does not load'));
      });
      return { width: element.videoWidth, height: element.videoHeight };
    }, video.toString('base64'));
  } finally {
    await blank.close();
  }
}

/** The sizes video-export.ts draws: tiles 288 px tall (the 3D view 512 wide), 8 px apart, a 28 px title line, 24 px captions. */
const VIDEO = { pad: 8, top: 28, tile: 288, caption: 24, scene: 512 };

interface PlayMeasurement {
  frames: number;
  ms: number;
  worstMs: number;
  drawn: number;
  /** WebGL draw calls per drawn frame (the canvas's data-draw-calls), shadow pass included. */
  callsPerFrame: number;
}

/** Times the animation frames in the page for `durationMs` while the timeline plays on its own. */
function watchPlaying(page: Page, durationMs: number): Promise<PlayMeasurement> {
  return page.getByTestId('replay-canvas').evaluate(
    (el, duration) =>
      new Promise<PlayMeasurement>((resolve) => {
        const w = globalThis as unknown as InPage;
        const canvasEl = el as unknown as { dataset: Record<string, string | undefined> };
        const drawn0 = Number(canvasEl.dataset.frames);
        const calls0 = Number(canvasEl.dataset.drawCalls);
        const stamps: number[] = [];
        const frame = (now: number) => {
          stamps.push(now);
          if (now - stamps[0]! < duration) return void w.requestAnimationFrame(frame);
          let worst = 0;
          for (let i = 1; i < stamps.length; i++) worst = Math.max(worst, stamps[i]! - stamps[i - 1]!);
          const drawn = Number(canvasEl.dataset.frames) - drawn0;
          resolve({ frames: stamps.length - 1, ms: now - stamps[0]!, worstMs: worst, drawn, callsPerFrame: (Number(canvasEl.dataset.drawCalls) - calls0) / Math.max(drawn, 1) });
        };
        w.requestAnimationFrame(frame);
      }),
    durationMs,
  );
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
    const report = await evaluate({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 2, maxSteps: 60, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') });
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
    const groups = await episodeSelect.locator('optgroup').evaluateAll((gs) => gs.map((g) => (g as unknown as { label: string }).label));
    const failed = episodes.filter((e) => e.outcome !== 'success').length;
    if (failed > 0) expect(groups[0]).toMatch(/^(Failed|Errors) \(\d+\)$/);
    const second = episodes[1]!;
    await episodeSelect.selectOption(`${second.taskId}/${second.trial}`);
    const outcome = page.getByTestId('replay-outcome');
    await expect.poll(() => outcome.textContent()).toContain(`trial ${second.trial}`);
    const expected = second.outcome === 'success' ? `Success at step ${second.steps}` : second.outcome === 'failure' ? 'Failure: ran out of steps at the maximum of 60' : `Error at step ${second.steps}`;
    expect(await outcome.textContent()).toContain(expected);
    // This run recorded no cameras: no camera panel, one line saying why.
    expect(await page.getByTestId('replay-cameras').count()).toBe(0);
    expect(await page.getByTestId('replay-no-cameras').textContent()).toContain('No camera images in this episode');

    // The 3D view draws the scene.
    const canvas = page.getByTestId('replay-canvas');
    await expect.poll(() => framesDrawn(canvas), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await pixelSpread(page, canvas)).std).toBeGreaterThan(20);
    // A shaded scene, not a few flat fills (a blank canvas has 1 colour; this scene about 190).
    expect((await pixelSpread(page, canvas)).distinct).toBeGreaterThan(100);
    await shot(page, 'replay-orbit.png');

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

    // 19-2: the plots (uPlot). Their cursors follow the timeline; hovering one reads out its values
    // and moves the cursor of the episode's other plots (linked); a drag zooms, a double-click
    // resets, a click seeks the timeline.
    const translation = page.getByTestId('plot-translation');
    const latencyPlot = page.getByTestId('plot-latency');
    const stepAt = (plot: Locator) => plot.locator('.u-legend .u-series').first().locator('.u-value').textContent();
    await expect.poll(() => stepAt(latencyPlot)).toBe('29');
    const tOver = translation.locator('.u-over');
    await page.getByTestId('replay-plots').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    const tb = (await tOver.boundingBox())!;
    await page.mouse.move(tb.x + tb.width * 0.75, tb.y + tb.height / 2);
    await expect.poll(async () => Number(await stepAt(translation))).toBeGreaterThan(40);
    const hoveredStep = await stepAt(translation);
    expect(await translation.locator('.u-legend .u-series').nth(1).locator('.u-value').textContent()).toMatch(/^-?\d+\.\d{3}$/);
    await expect.poll(() => stepAt(latencyPlot)).toBe(hoveredStep);
    expect(await stepAt(page.getByTestId('plot-gripper'))).toBe(hoveredStep);
    await page.screenshot({ path: path.join(ARTIFACTS, '19-2-replay-plots.png') });
    const plotRange = async () => (await translation.locator('.chart-host').getAttribute('data-x-range'))!.split(' ').map(Number);
    expect(await plotRange()).toEqual([0, 60]);
    await page.mouse.move(tb.x + tb.width * 0.25, tb.y + tb.height / 2);
    await page.mouse.down();
    await page.mouse.move(tb.x + tb.width * 0.5, tb.y + tb.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await plotRange())[1]! - (await plotRange())[0]!).toBeLessThan(20);
    expect(await readout.textContent()).toMatch(/^step 29 \//); // a drag zooms, it does not seek
    await tOver.dblclick({ position: { x: tb.width * 0.5, y: tb.height / 2 } });
    await expect.poll(plotRange).toEqual([0, 60]);
    await latencyPlot.locator('.u-over').click({ position: { x: tb.width * 0.5, y: 10 } });
    await expect.poll(async () => Number(/step (\d+)/.exec((await readout.textContent()) ?? '')?.[1])).toBeGreaterThan(27);
    expect(Number(/step (\d+)/.exec((await readout.textContent()) ?? '')?.[1])).toBeLessThan(33);
    await page.mouse.move(0, 0);
    await scrubTo(page, 29);
    await expect.poll(() => readout.textContent()).toMatch(/^step 29 \//);

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
      await shot(page, file);
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
    await shot(page, 'replay-page.png', true);

    // 19-5 at 1440x900, from the default camera (it frames the table, the objects and the robot):
    // the scene, the timeline under it and the plots beside it (a column that scrolls on its own) are in view together.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('button', { name: 'Reset view' }).click();
    await page.locator('main').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
    await page.locator('.replay-side').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
    const inView = async (l: Locator) => {
      const b = await l.boundingBox();
      return b !== null && b.x >= 0 && b.y >= 0 && b.x + b.width <= 1440 && b.y + b.height <= 900;
    };
    const parts = { scene: canvas, timeline: page.getByRole('slider', { name: 'Timeline' }), marks: page.getByTestId('replay-marks'), readout: page.getByTestId('replay-readout'), 'first plot': translation };
    for (const [name, part] of Object.entries(parts)) {
      await expect.poll(() => inView(part), { message: `${name} in view at 1440x900: ${JSON.stringify(await part.boundingBox())}` }).toBe(true);
    }
    // Step ticks and one numbered mark per chunk (chunks of 8 actions: 8 of them in 60 steps).
    expect(await page.getByTestId('replay-marks').locator('.replay-chunk-mark').count()).toBe(Math.ceil(60 / 8));
    // The gripper trail runs up to the step shown (rows 0 to 29).
    await expect.poll(() => canvas.getAttribute('data-trail')).toBe('30');
    // The stages this run's decoding has; n/a, not 0.00, for those it lacks.
    const decoding = report.results.config.decoding;
    expect(await page.getByTestId('replay-stages').textContent()).toMatch(new RegExp(`^${decoding}: `));
    if (decoding !== 'parallel') expect(await page.getByTestId('replay-stages').textContent()).toContain('parallel heads n/a');
    await shot(page, '19-5-replay-layout.png');
    // The goal strip under the timeline: a lane per atom of the task's goal, named, the cursor across the lanes.
    const goalStrip = page.getByRole('group', { name: 'Goal predicates' });
    await expect.poll(() => inView(goalStrip), { message: `goal strip in view at 1440x900: ${JSON.stringify(await goalStrip.boundingBox())}` }).toBe(true);
    const goalLane = goalStrip.getByTestId('replay-goal-lane');
    expect(await goalLane.locator('.replay-goal-name').allTextContents()).toEqual(['On(akita_black_bowl_1, plate_1)']);
    // The untrained policy never puts the bowl on the plate: one run, false from step 0, said on hover.
    expect(await goalLane.locator('.replay-goal-run').first().getAttribute('title')).toBe('On(akita_black_bowl_1, plate_1): false from step 0');
    await shot(page, '19-5-goal-strip.png');
    // Pressing the lane three quarters along moves the cursor there (step 45 of 60's 61 rows).
    const goalTrack = goalLane.locator('.replay-goal-track');
    const trackBox = (await goalTrack.boundingBox())!;
    await goalTrack.click({ position: { x: trackBox.width * 0.75, y: trackBox.height / 2 } });
    await expect.poll(() => readout.textContent()).toMatch(/^step 45 \/ 60/);
    // The plots' column scrolls on its own: its last plot comes into view with the scene still beside it.
    await latencyPlot.scrollIntoViewIfNeeded();
    await expect.poll(() => inView(latencyPlot.locator('.u-over'))).toBe(true);
    expect(await inView(canvas)).toBe(true);
    // Per-step values as CSV: one row per state, named after the run, task and trial.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csvDownload.suggestedFilename()).toBe(`${runId}-task${second.taskId}-trial${second.trial}.csv`);
    const csvRows = (await readFile((await csvDownload.path())!, 'utf8')).trimEnd().split('\r\n');
    expect(csvRows).toHaveLength(1 + 61);
    expect(csvRows[0]).toMatch(/^step,action_x,action_y,action_z,action_roll,action_pitch,action_yaw,action_gripper,grip_x,/);
    expect(csvRows[30]!.split(',')[0]).toBe('29');
    // The goal atom's column: the untrained policy never puts the bowl on the plate.
    expect(csvRows[0]).toMatch(/,"goal On\(akita_black_bowl_1, plate_1\)"$/);
    expect(csvRows.slice(1).every((r) => r.endsWith(',0'))).toBe(true);
    // 19-5 video export: this episode has no camera images, so the video is the 3D view alone (the
    // current camera mode, drawn offscreen at 512x288), recorded in real time (61 rows: about 3 s).
    // Cancel stops a recording without a download; a second one runs to the end.
    await page.locator('main').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
    const exportVideo = page.getByRole('button', { name: 'Export video (3D view)', exact: true });
    const progress = page.getByTestId('replay-video-progress');
    let downloads = 0;
    const counted = () => downloads++;
    page.on('download', counted);
    await exportVideo.click();
    await expect.poll(() => progress.textContent()).toMatch(/^Recording \d+%$/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => exportVideo.isVisible()).toBe(true);
    expect(await progress.count()).toBe(0);
    expect(downloads).toBe(0);
    page.off('download', counted);
    const videoDownload = page.waitForEvent('download', { timeout: 30_000 });
    await exportVideo.click();
    await expect.poll(() => progress.textContent()).toMatch(/^Recording \d+%$/);
    await page.screenshot({ path: path.join(ARTIFACTS, '19-5-video-export.png') });
    const sceneVideo = await videoDownload;
    expect(sceneVideo.suggestedFilename()).toBe(`${runId}-task${String(second.taskId).padStart(2, '0')}-trial${String(second.trial).padStart(3, '0')}.webm`);
    const sceneBytes = await readFile((await sceneVideo.path())!);
    expect(Array.from(sceneBytes.subarray(0, 4))).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // EBML: a WebM file
    expect(sceneBytes.length).toBeGreaterThan(10_000);
    expect(await videoFrameSize(page, sceneBytes)).toEqual({ width: VIDEO.pad + VIDEO.scene + VIDEO.pad, height: VIDEO.top + VIDEO.tile + VIDEO.caption });
    await sceneVideo.saveAs(path.join(ARTIFACTS, '19-5-video-export.webm'));
    // Dark mode: the scene's background and floor follow the app's theme.
    console.log(`19-5 default camera frames the box (min xyz, max xyz) ${await canvas.getAttribute('data-framed')}`);
    await page.locator('main').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => canvas.getAttribute('data-theme')).toBe('dark');
    await shot(page, '19-5-replay-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => canvas.getAttribute('data-theme')).toBe('light');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Another episode of the same task: the same 3D view draws it (its frame count goes on), no new one.
    const first = episodes[0]!;
    const drawnBeforeSwitch = await framesDrawn(canvas);
    await episodeSelect.selectOption(`${first.taskId}/${first.trial}`);
    await expect.poll(() => outcome.textContent()).toContain(`trial ${first.trial} ·`);
    await expect.poll(() => framesDrawn(canvas)).toBeGreaterThan(drawnBeforeSwitch);
    expect(await readout.textContent()).toMatch(/^step 0 \/ 60/);

    // The frame rate is measured on an episode of LIBERO's length for libero_spatial (220 steps).
    const long = await evaluate({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 1, maxSteps: 220, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') });
    await page.reload();
    await expect.poll(() => page.getByRole('combobox', { name: 'Run' }).locator('option').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Run' }).selectOption(long.run.id);
    await expect.poll(() => readout.textContent(), { timeout: 20_000 }).toMatch(/^step 0 \/ 220 /);
    await expect.poll(() => framesDrawn(page.getByTestId('replay-canvas')), { timeout: 20_000 }).toBeGreaterThan(0);

    // Scrubbing for ~2 s, the scrubber moved every animation frame, frame times taken in the page;
    // three windows, as this machine's 2 CPUs may be shared with other work: the best one counts.
    const profile = await page.getByTestId('replay-canvas').getAttribute('data-profile');
    expect(profile).toBe('software'); // SwiftShader is recognised, so the lighter profile is used
    const windows: number[] = [];
    for (let w = 0; w < 3; w++) {
      const measured = await scrubFor(page, 2000);
      const fps = (measured.frames / measured.ms) * 1000;
      const drawn = measured.drawnAfter - measured.drawnBefore;
      console.log(
        `replay scrubbing a 220-step episode, window ${w + 1}: ${fps.toFixed(1)} fps over ${measured.ms.toFixed(0)} ms (${measured.frames} frames, ${drawn} drawn, worst frame ${measured.worstMs.toFixed(1)} ms); ` +
          `${profile} render profile, headless Chromium, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}`,
      );
      // Every animation frame drew the scene anew (not a view that skips frames to look fast).
      expect(drawn).toBeGreaterThanOrEqual(measured.frames - 2);
      windows.push(fps);
    }
    console.log(`replay scrubbing: best window ${Math.max(...windows).toFixed(1)} fps (printed, not asserted)`);

    // Playing at 1x (issue 19's target: at least 30 fps in the software renderer), from the start:
    // two 2 s windows, printed, not asserted (as above).
    await page.getByRole('combobox', { name: 'Speed' }).selectOption('1');
    const playing: number[] = [];
    for (let w = 0; w < 2; w++) {
      await scrubTo(page, 0);
      await page.getByRole('button', { name: 'Play' }).click();
      const measured = await watchPlaying(page, 2000);
      await page.getByRole('button', { name: 'Pause' }).click();
      const fps = (measured.frames / measured.ms) * 1000;
      playing.push(fps);
      console.log(
        `replay playing a 220-step episode at 1x, window ${w + 1}: ${fps.toFixed(1)} fps (${measured.frames} frames, ${measured.drawn} drawn, worst frame ${measured.worstMs.toFixed(1)} ms, ` +
          `${measured.callsPerFrame.toFixed(1)} draw calls a frame); ${profile} render profile, load average ${os.loadavg()[0]!.toFixed(2)}`,
      );
    }
    console.log(`replay playing at 1x: best window ${Math.max(...playing).toFixed(1)} fps (printed, not asserted)`);
    await shot(page, 'replay-scrubbed.png');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows an episode's camera images beside the 3D view, in step with the timeline, and exports them as a WebM video", async () => {
    // A state policy's run asked to record both cameras (the embedded simulator renders them).
    const cameras = [
      { name: 'agentview' as const, width: 128, height: 128 },
      { name: 'robot0_eye_in_hand' as const, width: 128, height: 128 },
    ];
    const report = await evaluate({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 1, maxSteps: 40, workers: 1, runsRoot: path.join(serve.dataDir, 'runs'), recordCameras: cameras });
    const { page, errors } = await openReplay({ width: 1440, height: 900 });
    await expect.poll(() => page.getByRole('combobox', { name: 'Run' }).locator('option').count()).toBeGreaterThan(0);
    await page.getByRole('combobox', { name: 'Run' }).selectOption(report.run.id);
    const panel = page.getByTestId('replay-cameras');
    await expect.poll(() => panel.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.getByTestId('replay-no-cameras').count()).toBe(0);
    // Each picture is named by its camera.
    expect(await panel.locator('figcaption').allTextContents()).toEqual(['agentview 128×128', 'robot0_eye_in_hand 128×128']);
    const agent = page.getByTestId('replay-camera-agentview');
    const wrist = page.getByTestId('replay-camera-robot0_eye_in_hand');
    // All rows load, then the pictures show row 0 and are not blank.
    await expect.poll(() => page.getByRole('button', { name: 'Export video (3D view + 2 cameras)' }).isEnabled(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => agent.getAttribute('data-row')).toBe('0');
    await expect.poll(() => wrist.getAttribute('data-row')).toBe('0');
    for (const view of [agent, wrist]) expect((await pixelSpread(page, view)).std).toBeGreaterThan(10);
    const before = (await agent.screenshot()).toString('base64');

    // Scrubbing moves both pictures to the step; playing moves them on.
    await scrubTo(page, 30);
    await expect.poll(() => agent.getAttribute('data-row')).toBe('30');
    await expect.poll(() => wrist.getAttribute('data-row')).toBe('30');
    expect((await agent.screenshot()).toString('base64')).not.toBe(before);
    await page.keyboard.press('Home');
    await expect.poll(() => agent.getAttribute('data-row')).toBe('0');
    // At a quarter speed the 40 steps last 8 s: playback is still going when it is paused.
    await page.getByRole('combobox', { name: 'Speed' }).selectOption('0.25');
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(async () => Number(await agent.getAttribute('data-row')), { timeout: 10_000 }).toBeGreaterThan(5);
    await page.getByRole('button', { name: 'Pause' }).click();
    await scrubTo(page, 24);
    await expect.poll(() => wrist.getAttribute('data-row')).toBe('24');
    await expect.poll(() => framesDrawn(page.getByTestId('replay-canvas')), { timeout: 20_000 }).toBeGreaterThan(0);
    await shot(page, 'replay-cameras.png');

    // Export: a WebM file (EBML header) of the 3D view and the camera views, recorded in real time (40 steps: 2 s).
    const downloaded = page.waitForEvent('download', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Export video (3D view + 2 cameras)' }).click();
    const download = await downloaded;
    expect(download.suggestedFilename()).toBe(`${report.run.id}-task00-trial000.webm`);
    const video = await readFile((await download.path())!);
    expect(Array.from(video.subarray(0, 4))).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    expect(video.length).toBeGreaterThan(10_000);
    // Chromium plays it back: the 3D view and both camera views (square: 288 wide) side by side,
    // named, under a title line.
    expect(await videoFrameSize(page, video)).toEqual({ width: VIDEO.pad + (VIDEO.scene + VIDEO.pad) + 2 * (VIDEO.tile + VIDEO.pad), height: VIDEO.top + VIDEO.tile + VIDEO.caption });
    await download.saveAs(path.join(ARTIFACTS, 'replay-cameras.webm'));

    expect(errors).toEqual([]);
    await page.context().close();
  });
  it('deep links (issue 19 item 3): reload, back/forward and a copied address restore the episode at its step and camera', async () => {
    // The 60-step run of the test above (made here when this test runs alone).
    runId ??= (await evaluate({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 2, maxSteps: 60, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') })).run.id;
    const { page, errors } = await openReplay({ width: 1440, height: 900 });
    page.context().setDefaultTimeout(20_000); // a step that cannot happen fails naming itself, not as the test's timeout
    const readout = page.getByTestId('replay-step');
    const outcome = page.getByTestId('replay-outcome');

    // Results → the run → its episode, as a user clicks.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Results' }).click();
    await page.getByRole('button', { name: `Show run ${runId}` }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/results?run=${runId}`);
    await page.getByRole('button', { name: 'Replay task 0 trial 1' }).click();
    await expect.poll(() => outcome.textContent(), { timeout: 20_000 }).toContain('task 0 · trial 1 ·');
    await scrubTo(page, 17);
    await page.getByRole('button', { name: 'Agent view' }).click();
    const address = `#/replay?run=${runId}&task=0&trial=1&step=17&camera=agentview`;
    await expect.poll(() => new URL(page.url()).hash).toBe(address);

    // Reload: the same episode, step and camera. How long the page took from the reload to showing the
    // step (the target is under 1 s with the engine warm) is printed, not asserted: shared machines.
    await page.reload();
    const restoredMs = await page.waitForFunction(() => {
        // Runs in the page (no DOM types in the tests' tsconfig).
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document;
        return doc.querySelector('[data-testid="replay-step"]')?.textContent?.startsWith('step 17 / 60') ? performance.now() : false;
      }, undefined, { polling: 'raf', timeout: 20_000 });
    console.log(`replay page restored from its address in ${((await restoredMs.jsonValue()) as number).toFixed(0)} ms after the reload's navigation start (printed, not asserted); load average ${os.loadavg()[0]!.toFixed(2)}`);
    await expect.poll(() => readout.textContent(), { timeout: 20_000 }).toMatch(/^step 17 \/ 60/);
    expect(await outcome.textContent()).toContain('task 0 · trial 1 ·');
    expect(await page.getByRole('button', { name: 'Agent view' }).getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).hash).toBe(address);
    await shot(page, '19-3-deep-link-restored.png');

    // Back to the Results page of the run, forward to the episode at its step.
    await page.goBack();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Results');
    expect(new URL(page.url()).hash).toBe(`#/results?run=${runId}`);
    expect(await page.getByRole('button', { name: `Show run ${runId}` }).getAttribute('aria-current')).toBe('true');
    await page.goForward();
    await expect.poll(() => readout.textContent(), { timeout: 20_000 }).toMatch(/^step 17 \/ 60/);
    expect(await outcome.textContent()).toContain('task 0 · trial 1 ·');

    // The address copied into a second page of the same browser: the same view.
    const other = await page.context().newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(page.url());
    await expect.poll(() => other.getByTestId('replay-step').textContent(), { timeout: 20_000 }).toMatch(/^step 17 \/ 60/);
    expect(await other.getByTestId('replay-outcome').textContent()).toContain('task 0 · trial 1 ·');
    expect(await other.getByRole('button', { name: 'Agent view' }).getAttribute('aria-pressed')).toBe('true');

    // A stale link: a message naming the run, and the page with the newest run.
    await other.goto(`${serve.url}#/replay?run=20200101-000000-gone00&task=0&trial=0&step=5`);
    await expect.poll(() => other.getByRole('alert').first().textContent(), { timeout: 20_000 }).toContain('run 20200101-000000-gone00 is not in the run store');
    await expect.poll(() => other.getByTestId('replay-step').textContent(), { timeout: 20_000 }).toMatch(/^step 0 \//);

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('side by side (issue 19 item 4): one episode of two runs with one timeline, opened by "Compare with…", restored on reload', async () => {
    runId ??= (await evaluate({ bundleDir: path.join(bundles, 'tiny'), tasks: [0], trials: 2, maxSteps: 60, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') })).run.id;
    // A second small real run of the same task and trial 0 (the same initial state), another decoding, fewer steps.
    const other = await evaluate({ bundleDir: path.join(bundles, 'tiny'), decoding: 'autoregressive', tasks: [0], trials: 1, maxSteps: 40, workers: 1, runsRoot: path.join(serve.dataDir, 'runs') });
    const shown = await (await new RunStore(path.join(serve.dataDir, 'runs')).open(runId)).results();
    const ours = shown.episodes.find((e) => e.trial === 0)!;
    const theirs = other.results.episodes[0]!;
    const long = Math.max(ours.steps, theirs.steps);
    const { page, errors } = await openReplay({ width: 1440, height: 900 });
    page.context().setDefaultTimeout(20_000);

    // The run and its episode, then "Compare with…" as a user picks them.
    await expect.poll(() => page.getByRole('combobox', { name: 'Run' }).locator('option').count()).toBeGreaterThan(1);
    await page.getByRole('combobox', { name: 'Run' }).selectOption(runId);
    await expect.poll(() => page.getByRole('combobox', { name: 'Episode' }).locator('option').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Episode' }).selectOption('0/0');
    await expect.poll(() => page.getByTestId('replay-outcome').textContent()).toContain('task 0 · trial 0 ·');
    const picker = page.getByRole('combobox', { name: 'Compare with…' });
    expect(await picker.locator('option').allTextContents()).toContainEqual(expect.stringMatching(new RegExp(`^${other.run.id} · autoregressive · `)));
    await picker.selectOption(other.run.id);

    // Two 3D views, each under its run id, decoding and outcome; both draw.
    const sideA = page.getByTestId('replay-side-a');
    const sideB = page.getByTestId('replay-side-b');
    await expect.poll(() => sideB.locator('[data-testid="replay-canvas"]').count()).toBe(1);
    expect(await sideA.locator('header').textContent()).toMatch(new RegExp(`^${runId}${shown.config.decoding}(Success|Failure|Error)`));
    expect(await sideB.locator('header').textContent()).toMatch(new RegExp(`^${other.run.id}autoregressive(Success|Failure|Error)`));
    for (const side of [sideA, sideB]) await expect.poll(() => framesDrawn(side.getByTestId('replay-canvas'))).toBeGreaterThan(0);
    const readoutA = page.getByTestId('replay-readout-a').locator('h3');
    const readoutB = page.getByTestId('replay-readout-b').locator('h3');
    expect(await page.getByTestId('replay-step').textContent()).toMatch(new RegExp(`^step 0 / ${long} `));

    // One timeline: scrubbing moves both views and both read-outs.
    const drawn = [await framesDrawn(sideA.getByTestId('replay-canvas')), await framesDrawn(sideB.getByTestId('replay-canvas'))];
    await scrubTo(page, 30);
    await expect.poll(() => readoutA.textContent()).toBe('Step 30');
    await expect.poll(() => readoutB.textContent()).toBe('Step 30');
    await expect.poll(() => framesDrawn(sideA.getByTestId('replay-canvas'))).toBeGreaterThan(drawn[0]!);
    await expect.poll(() => framesDrawn(sideB.getByTestId('replay-canvas'))).toBeGreaterThan(drawn[1]!);
    // Past the shorter episode's end: it holds its last step and says how it ended.
    await scrubTo(page, 50);
    await expect.poll(() => readoutA.textContent()).toBe(`Step ${Math.min(50, ours.steps)}`);
    await expect.poll(() => readoutB.textContent()).toBe(`Step ${Math.min(50, theirs.steps)}`);
    if (theirs.steps < 50) expect(await sideB.getByTestId('replay-ended').textContent()).toBe(`ended at step ${theirs.steps} (${theirs.outcome})`);
    // The camera mode applies to both views.
    await sideA.getByRole('button', { name: 'Agent view' }).click();
    expect(await sideB.getByRole('button', { name: 'Agent view' }).getAttribute('aria-pressed')).toBe('true');
    await sideA.getByRole('button', { name: 'Orbit' }).click();
    const address = `#/replay?run=${runId}&compare=${other.run.id}&task=0&trial=0&step=50&camera=orbit`;
    await expect.poll(() => new URL(page.url()).hash).toBe(address);
    await page.locator('main').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 0));
    // At 1440x900 both views, the timeline and both read-outs (to the chunk's accepted layers) are in view.
    const inView = async (l: Locator) => {
      const b = await l.boundingBox();
      return b !== null && b.x >= 0 && b.y >= 0 && b.x + b.width <= 1440 && b.y + b.height <= 900;
    };
    for (const part of [sideA.getByTestId('replay-canvas'), sideB.getByTestId('replay-canvas'), page.getByRole('slider', { name: 'Timeline' }), page.getByTestId('replay-readout-a').getByTestId('replay-chunk'), page.getByTestId('replay-readout-b').getByTestId('replay-chunk')]) {
      expect(await inView(part), `${part} in view at 1440x900: ${JSON.stringify(await part.boundingBox())}`).toBe(true);
    }
    await shot(page, '19-4-side-by-side.png');

    // Reload: both runs' episodes at the step.
    await page.reload();
    await expect.poll(() => readoutB.textContent()).toBe(`Step ${Math.min(50, theirs.steps)}`);
    expect(await readoutA.textContent()).toBe(`Step ${Math.min(50, ours.steps)}`);
    expect(new URL(page.url()).hash).toBe(address);

    // Close comparison: one run again, and the second view's WebGL context is released.
    const second = await sideB.getByTestId('replay-canvas').elementHandle();
    await page.getByRole('button', { name: 'Close comparison' }).click();
    await expect.poll(() => page.getByTestId('replay-canvas').count()).toBe(1);
    expect(await page.getByTestId('replay-compare').count()).toBe(0);
    expect(await second!.evaluate((c) => (c as unknown as { getContext(kind: string): { isContextLost(): boolean } | null }).getContext('webgl2')?.isContextLost() ?? true)).toBe(true);
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/replay?run=${runId}&task=0&trial=0&step=50&camera=orbit`);

    expect(errors).toEqual([]);
    await page.context().close();
  });
});
