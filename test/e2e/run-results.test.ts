// The Run and Results pages in Chromium against a real `rsd serve` with its own data folder, as a
// user would: start a small evaluation of the engine's test bundle, watch it reach 100%, read its
// results, export the JSON (checked against the published schema and the engine's validator), and
// import a malformed file; then a run of a policy server (a Node stand-in) chosen on the Run page.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResults } from '../../engine/runs/results-schema.js';
import { RunStore } from '../../engine/runs/store.js';
import type { Results } from '../../engine/api/schemas/results.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { fidelityDir, writeReport } from '../../engine/fidelity/store.js';
import { fidelityReport } from '../engine/fidelity/report-fixture.js';
import { ARTIFACTS, fullPageShot as shot, launchChromium } from './browser.js';
import { startRsdServe, type ServeProcess } from './serve.js';
import { answeringMetadata, startStandInPolicyServer, STAND_IN_RSD_RECORD, type StandIn } from '../engine/checks/policy-server-stand-in.js';

/** Policy steps per episode: enough for the progress to be seen moving, few enough for a quick test. */
const MAX_STEPS = 120;

let serve: ServeProcess;
let browser: Browser;
let tmp: string;
let bundle: string;
/** A Node stand-in for a policy server (not python/policy_server): chunks of 8 zero actions with an RSD record. */
let policyServer: StandIn;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-e2e-run-'));
  bundle = path.join(tmp, 'tiny');
  // The engine's test bundle: it knows tasks 0, 1, 7 and 9 of libero_spatial.
  await writeSyntheticBundle(bundle, 'tiny', 1);
  // One episodes-progress event per chunk (not a few per second): the steps seen mid-episode do not depend on the machine's speed.
  [serve, browser, policyServer] = await Promise.all([startRsdServe({ env: { RSD_PROGRESS_INTERVAL_MS: '0' } }), launchChromium(), startStandInPolicyServer({ metadata: answeringMetadata(8), answer: { chunk: 8, rsd: true } })]);
});
afterAll(async () => {
  await policyServer?.close();
  await browser?.close();
  await serve?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

/** Whether an element lies wholly inside the window as it is (nothing scrolled to it). */
async function inView(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  return box !== null && box.height > 0 && box.y >= 0 && box.y + box.height <= page.viewportSize()!.height;
}

/** Seconds from the Run page's elapsed read-out ("12 s", "1 min 5 s"). */
async function elapsedSeconds(page: Page): Promise<number> {
  const text = (await page.getByTestId('elapsed').textContent()) ?? '';
  const m = /^(?:(\d+) min )?(\d+) s$/.exec(text);
  if (!m) throw new Error(`elapsed reads "${text}"`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

describe('Run and Results in Chromium against rsd serve', () => {
  it('starts a run, watches it reach 100%, reads its results, exports them and refuses a malformed import', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light', acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.url}#/run`);
    await expect.poll(() => page.getByTestId('engine-health').textContent()).toContain('Engine healthy');

    // The form, as a user fills it.
    const form = page.getByRole('form', { name: 'Evaluation' });
    await form.getByRole('checkbox', { name: /^Task 0:/ }).check();
    await form.getByLabel('Trials per task').fill('2');
    await form.getByLabel('Max steps per episode').fill(String(MAX_STEPS));
    await form.getByLabel('Workers').fill('1');
    await form.getByLabel('Bundle folder').fill(bundle);

    // Real LIBERO names the interpreter it would use and says the bridge is not checked yet; this
    // run stays on the embedded simulator.
    expect(await form.getByLabel('Simulator').inputValue()).toBe('embedded');
    await form.getByLabel('Simulator').selectOption({ label: 'Real LIBERO (Python)' });
    await expect.poll(() => page.getByTestId('libero-python').textContent()).toContain('with python3 (the default: no LIBERO Python in the settings)');
    expect(await page.getByTestId('bridge-hint').textContent()).toContain('The Python bridge has not been checked');
    await form.getByLabel('Simulator').selectOption({ label: 'Embedded MuJoCo' });
    expect(await page.getByTestId('libero-python').count()).toBe(0);

    // A value out of range is named beside its field, and nothing starts.
    await form.getByLabel('Seed').fill('');
    await page.getByRole('button', { name: 'Start' }).click();
    expect(await form.getByText(/^The seed must be a whole number/).count()).toBe(1);
    expect(await page.getByTestId('run-status').count()).toBe(0);
    await form.getByLabel('Seed').fill('7');

    // Issue 19 item 6 at 1440x900: Start in view wherever the form is scrolled, the run's header in
    // view once it runs; the running episode's steps move within it.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('main').evaluate((el) => el.scrollTo(0, 0));
    expect(await inView(page, 'button[type="submit"]')).toBe(true);
    // Every steps read-out the page shows, however briefly (no polling race).
    await page.evaluate(`(() => {
      const seen = (window.stepsSeen = []);
      new MutationObserver(() => document.querySelectorAll('[data-testid^="episode-steps-"]').forEach((el) => seen.push(el.textContent))).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Start' }).click();

    // Mid-run, with the first episode done and the second going: cancelled there, then resumed.
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/Running|Completed/);
    const status = () => page.getByTestId('run-status').textContent();
    const progress = () => page.getByTestId('overall-progress').textContent().catch(() => '');
    const midEpisode = (text: string | null) => {
      const m = /^(\d+)\/(\d+) steps$/.exec(text ?? '');
      return m !== null && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
    };
    await expect.poll(async () => midEpisode(await page.getByTestId('episode-steps-0-0').textContent().catch(() => null)) || (await status()) !== 'Running', { timeout: 30_000 }).toBe(true);
    if ((await status()) === 'Running') {
      expect(await inView(page, '#run-progress-title')).toBe(true);
      expect(await inView(page, 'button[type="submit"]')).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, '19-6-run-page.png') });
    }
    while ((await status()) === 'Running' && !(await progress())?.startsWith('1/2')) await page.waitForTimeout(25);
    if ((await status()) === 'Running') {
      await shot(page, 'run-page-running');
      await page.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('Cancelled');
      const before = await elapsedSeconds(page);
      await page.getByRole('button', { name: 'Resume' }).click();
      // The elapsed time goes on from the cancelled session's (run.json's activeSeconds), not from 0.
      await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/Running|Completed/);
      expect(await elapsedSeconds(page)).toBeGreaterThanOrEqual(before);
      await expect.poll(async () => midEpisode(await page.getByTestId('episode-steps-0-1').textContent().catch(() => null)) || (await status()) !== 'Running', { timeout: 30_000 }).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, '19-6-run-page-resumed.png') });
    }
    const seen = (await page.evaluate('window.stepsSeen')) as string[];
    expect(seen.some(midEpisode), `steps seen: ${seen.slice(0, 5).join(', ')}`).toBe(true);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(await page.getByTestId('overall-progress').textContent()).toBe('2/2 episodes (100%)');
    expect(await page.getByRole('progressbar', { name: 'Episodes done', exact: true }).getAttribute('value')).toBe('2');
    expect(await page.getByTestId('task-progress-0').textContent()).toBe('2/2 · 0 ✓ · 2 ✗');
    expect(await page.getByRole('img', { name: 'Task 0: 0 successes, 2 failures, 0 errors, 0 of 2 to run' }).count()).toBe(1);
    expect(await page.getByTestId('running-success').textContent()).toBe('0 of 2 (0.0%)');
    expect(await page.getByTestId('chunk-median').textContent()).toMatch(/^\d+(\.\d+)? ms$/);
    const log = (await page.getByRole('log', { name: 'Run log' }).textContent()) ?? '';
    expect(log).toContain(`task 0 trial 1: failure after ${MAX_STEPS} steps`);
    expect(log).toContain('run completed');
    const runId = ((await page.locator('#run-progress-title').textContent()) ?? '').replace(/^Run /, '');
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    await shot(page, 'run-page-done');

    // Its results.
    await page.getByRole('button', { name: 'Open results' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Results');
    const run = page.getByRole('article', { name: `Run ${runId}` });
    await expect.poll(() => run.getByTestId('task-row-0').count(), { timeout: 10_000 }).toBe(1);
    // The runs table's columns: run (one task reads "task 0"), success with its interval, median chunk, decoding, bundle, simulator, episodes, status, date.
    expect(await page.getByTestId(`run-${runId}`).locator('td').allTextContents()).toEqual([
      `${runId}libero_spatial · task 0 × 2 trials · cpu`,
      '0.0% (0%–66%)',
      expect.stringMatching(/^\d+(\.\d+)? ms$/),
      'speculative (exact)',
      'bundle synthetic-tiny',
      'embedded MuJoCo 3.14.0 (wasm)',
      '2/2',
      'Completed',
      expect.any(String),
      'EditDelete',
    ]);
    expect(await run.getByTestId('task-row-0').locator('td').allTextContents()).toEqual(['2', '0', '2', '0', '0.0%', '0.0%–65.8%', '']);
    expect(await texts(page, '[data-testid^="episode-0-"] td:nth-child(2)')).toEqual(['failure', 'failure']);
    expect(await texts(page, '[data-testid^="episode-0-"] td:nth-child(3)')).toEqual([String(MAX_STEPS), String(MAX_STEPS)]);
    const chunkMedians = await texts(page, '[data-testid^="episode-0-"] td:nth-child(5)');
    expect(chunkMedians.every((t) => /^\d+(\.\d+)? ms$/.test(t))).toBe(true);
    expect(await run.getByRole('table', { name: 'Acceptance per task and draft layer' }).getByRole('columnheader').allTextContents()).toEqual(['Task', 'Layer 0', 'Layer 1', 'Layer 2']);
    expect(await run.getByTestId('latency-totalMs').locator('td').count()).toBe(3);
    expect(await run.getByRole('img', { name: 'Success per task with Wilson 95% intervals' }).count()).toBe(1);
    await shot(page, 'results-page');

    // 19-2: the run's plots (uPlot): hovering the latency histogram reads out the bin under the
    // cursor, a drag zooms into a range of it, the wheel pans it, a double-click resets the range.
    const histogram = run.getByTestId('chart-latency');
    const histogramOver = histogram.locator('.u-over');
    await histogramOver.scrollIntoViewIfNeeded();
    const hb = (await histogramOver.boundingBox())!;
    const xRange = async () => (await histogram.locator('.chart-host').getAttribute('data-x-range'))!.split(' ').map(Number);
    const [lo, hi] = await xRange();
    await page.mouse.move(hb.x + hb.width * 0.2, hb.y + hb.height / 2);
    await page.mouse.down();
    await page.mouse.move(hb.x + hb.width * 0.6, hb.y + hb.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await xRange())[1]! - (await xRange())[0]!).toBeLessThan((hi! - lo!) * 0.6);
    // The wheel pans the zoomed range to the right, keeping its width.
    const [zoomLo, zoomHi] = await xRange();
    await page.mouse.wheel(0, 100);
    await expect.poll(async () => (await xRange())[0]!).toBeGreaterThan(zoomLo!);
    const [panLo, panHi] = await xRange();
    expect(panHi! - panLo!).toBeCloseTo(zoomHi! - zoomLo!, 2);
    await histogramOver.dblclick({ position: { x: hb.width * 0.5, y: hb.height / 2 } });
    await expect.poll(xRange).toEqual([lo, hi]);
    await page.mouse.move(hb.x + hb.width * 0.3, hb.y + hb.height / 2);
    await expect.poll(() => histogram.locator('.u-legend .u-series').first().locator('.u-value').textContent()).toMatch(/^\d+(\.\d+)? ms–\d+(\.\d+)? ms$/);
    await page.screenshot({ path: path.join(ARTIFACTS, '19-2-results-plots.png') });

    // Export: the browser's download, valid against the published schema and the engine's validator.
    const [download] = await Promise.all([page.waitForEvent('download'), run.getByRole('button', { name: 'Export JSON' }).click()]);
    expect(download.suggestedFilename()).toBe(`${runId}.results.json`);
    const saved = path.join(tmp, download.suggestedFilename());
    await download.saveAs(saved);
    const exported = JSON.parse(await readFile(saved, 'utf8')) as Results;
    const schema = JSON.parse(await readFile(path.resolve('docs', 'results.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    expect(validate(exported), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const results = validateResults(exported);
    expect(results.run?.id).toBe(runId);
    expect(results.total).toMatchObject({ episodes: 2, successes: 0, failures: 2, errors: 0 });
    expect(results.episodes.map((e) => [e.taskId, e.trial, e.steps])).toEqual([
      [0, 0, MAX_STEPS],
      [0, 1, MAX_STEPS],
    ]);

    // Import: a malformed file is refused naming its first problem; nothing is added.
    const input = page.getByLabel('Import results JSON');
    await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"formatVersion": 1,') });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Could not import broken\.json: broken\.json: not valid JSON/);
    const tampered = structuredClone(exported);
    tampered.total.successes = 2;
    await input.setInputFiles({ name: 'tampered.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tampered)) });
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Could not import tampered.json: total.successes: does not match what the episodes give');
    expect(await page.getByRole('table', { name: 'Runs' }).locator('tbody tr').count()).toBe(1);
    await shot(page, 'results-import-error');

    expect(errors).toEqual([]);
    await context.close();
  });

  it('compares two runs side by side: the first against an autoregressive run of the same episodes', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.url}#/run`);
    const form = page.getByRole('form', { name: 'Evaluation' });
    await form.getByRole('checkbox', { name: /^Task 0:/ }).check();
    await form.getByLabel('Trials per task').fill('2');
    await form.getByLabel('Max steps per episode').fill(String(MAX_STEPS));
    await form.getByLabel('Decoding strategy').selectOption('autoregressive');
    await form.getByLabel('Bundle folder').fill(bundle);
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('Completed');
    const second = ((await page.locator('#run-progress-title').textContent()) ?? '').replace(/^Run /, '');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Results' }).click();
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const first = (await rows.nth(1).getByRole('button').first().textContent())!;
    await page.getByRole('button', { name: `Show run ${first}` }).click();
    const run = page.getByRole('article', { name: `Run ${first}` });
    await run.getByLabel('Compare with').selectOption(second);
    const paired = run.getByRole('table', { name: 'Paired success, B against A' });
    await expect.poll(() => paired.locator('tbody tr').count()).toBe(1);
    expect(await paired.locator('tbody tr td').allTextContents()).toEqual(['2', '0 (0.0%)', '0 (0.0%)', '+0.0 pp', '0', '0', '1.000']);
    expect(await run.getByTestId('latency-ratio').textContent()).toMatch(/^B is \d+\.\d\d× (faster|slower) per chunk \(95% CI \d+\.\d\d–\d+\.\d\d, bootstrap over chunks\)/);
    expect(await run.getByText(/^2 paired episodes/).count()).toBe(1);
    await shot(page, 'results-compare');
    // Issue 19 item 7: the heading keeps the run id's case, a value that does not apply reads n/a or none, tasks read as task ids.
    const heading = run.getByRole('heading', { name: `Compared with ${second}` });
    expect(await heading.locator('.run-id').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).textTransform)).toBe('none');
    const differs = (await run.getByText(/^Differs:/).textContent()) ?? '';
    expect(differs).toMatch(/accept A [a-z-]+, B none \(no draft to accept\)/);
    expect(differs).not.toContain('null');
    expect(await run.getByText(/^libero_spatial, task 0 × 2 trials, max/).count()).toBe(1);
    await heading.scrollIntoViewIfNeeded();
    await shot(page, '19-7-defects');
    // 19-4: the autoregressive run has no draft or verify stage: n/a, not 0.00.
    expect((await run.getByTestId('compare-stage-draftMs').locator('td').allTextContents()).slice(1)).toEqual(['n/a', 'n/a', 'n/a']);

    // 19-4: one more real run where an outcome differs: the default bundle solves task 0 trial 0
    // within the step limit, where the test bundle's runs fail it.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Run' }).click();
    await form.getByLabel('Trials per task').fill('1');
    await form.getByLabel('Bundle folder').fill('');
    await form.getByLabel('Decoding strategy').selectOption('speculative');
    await page.getByRole('button', { name: 'Start' }).click();
    const title = () => page.locator('#run-progress-title').textContent();
    await expect.poll(async () => (await title()) !== `Run ${second}` && (await page.getByTestId('run-status').textContent()) === 'Completed', { timeout: 60_000 }).toBe(true);
    const third = ((await title()) ?? '').replace(/^Run /, '');
    expect(await page.getByTestId('running-success').textContent()).toBe('1 of 1 (100.0%)');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Results' }).click();
    await page.getByRole('button', { name: `Show run ${first}` }).click();
    await run.getByLabel('Compare with').selectOption(third);
    const differing = run.getByRole('table', { name: 'Paired episodes whose outcome differs' });
    await expect.poll(() => differing.getByTestId('differing-0-0').locator('td').allTextContents(), { timeout: 10_000 }).toEqual([
      '0',
      '0',
      `failure after ${MAX_STEPS} steps`,
      expect.stringMatching(/^success at step \d+$/),
      'Replay side by side',
    ]);
    expect(await run.getByTestId('latency-ratio').textContent()).toMatch(/^B is \d+\.\d\d× (faster|slower) per chunk \(95% CI \d+\.\d\d–\d+\.\d\d, bootstrap over chunks\)/);
    // Both plots read out what is under the cursor, A and B named by run id and decoding.
    const hover = async (testId: string) => {
      const over = run.getByTestId(testId).locator('.u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      const legend = run.getByTestId(testId).locator('.u-legend .u-series');
      return { labels: await legend.locator('.u-label').allTextContents(), values: () => legend.locator('.u-value').allTextContents() };
    };
    await page.setViewportSize({ width: 1440, height: 900 });
    await run.getByTestId('chart-compare-success').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    const success = await hover('chart-compare-success');
    expect(success.labels.slice(1)).toEqual([`A ${first} (speculative (exact))`, `B ${third} (speculative (exact))`]);
    await expect.poll(success.values).toEqual(['Task 0, 1 pair', expect.stringMatching(/^0\.0% \(0 of 1; 95% 0%–79%\)$/), expect.stringMatching(/^100\.0% \(1 of 1; 95% 21%–100%\)$/)]);
    const latency = await hover('chart-compare-latency');
    expect(latency.labels.slice(1)).toEqual([`A ${first} (speculative (exact))`, `B ${third} (speculative (exact))`]);
    await expect.poll(async () => (await latency.values()).join(' | ')).toMatch(/^\d+(\.\d+)? ms–\d+(\.\d+)? ms \| \d+\.\d% \(\d+ chunks?\) \| \d+\.\d% \(\d+ chunks?\)$/);
    await page.screenshot({ path: path.join(ARTIFACTS, '19-4-comparison.png') });

    // "Replay side by side" goes to the address the Replay page's side-by-side view reads.
    await page.evaluate(`(() => { window.hashesSeen = []; window.addEventListener('hashchange', (e) => window.hashesSeen.push(new URL(e.newURL).hash)); })()`);
    await differing.getByRole('button', { name: 'Replay task 0 trial 0 side by side' }).click();
    await expect.poll(() => page.evaluate('window.hashesSeen')).toContain(`#/replay?run=${first}&compare=${third}&task=0&trial=0`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Replay');
    expect(errors).toEqual([]);
    await context.close();
    // The later tests of this session expect the two runs above as the newest.
    await new RunStore(path.join(serve.dataDir, 'runs')).deleteRun(third);
  });

  it('the runs table (issue 19 item 1): sort, filter, rename, note, an imported run without replay, delete after confirming', async () => {
    // An imported copy of the newest run's results, as `runs.import` makes it (its own id: the original's is taken).
    const store = new RunStore(path.join(serve.dataDir, 'runs'));
    const [newest] = await store.list();
    const imported = await store.importResultsText(JSON.stringify(await (await store.open(newest!.id)).results()), 'shared.results.json');
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.url}#/results`);
    const table = page.getByRole('table', { name: 'Runs' });
    const ids = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')?.replace(/^run-/, '') ?? ''));
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(3);
    const listed = await store.list();
    const runIds = listed.map((r) => r.id);

    // Sort: the header says which column and which way.
    await table.getByRole('button', { name: /^Median chunk/ }).click();
    expect(await table.getByRole('columnheader', { name: /^Median chunk/ }).getAttribute('aria-sort')).toBe('ascending');
    await table.getByRole('button', { name: /^Median chunk/ }).click();
    expect(await table.getByRole('columnheader', { name: /^Median chunk/ }).getAttribute('aria-sort')).toBe('descending');
    await table.getByRole('button', { name: /^Date/ }).click();
    expect(await ids()).toEqual(runIds);

    // Filter by decoding, then by words.
    await page.getByRole('combobox', { name: 'Decoding' }).selectOption('autoregressive');
    await expect.poll(ids).toEqual(listed.filter((r) => r.decoding === 'autoregressive').map((r) => r.id));
    await page.getByRole('combobox', { name: 'Decoding' }).selectOption('');

    // Rename and note the autoregressive run in its row.
    await table.getByRole('button', { name: `Rename or note run ${newest!.id}` }).click();
    const form = table.getByRole('form', { name: `Name and note of run ${newest!.id}` });
    await form.getByLabel('Name').fill('autoregressive baseline');
    await form.getByLabel('Note').fill('same episodes as the speculative run');
    await form.getByRole('button', { name: 'Save' }).click();
    await table.getByRole('button', { name: 'Show run autoregressive baseline' }).waitFor();
    expect(await table.getByTestId(`run-note-${newest!.id}`).textContent()).toBe('same episodes as the speculative run');
    await page.getByRole('searchbox', { name: /Filter runs/ }).fill('speculative run');
    await expect.poll(ids).toEqual([newest!.id]);
    await page.getByRole('searchbox', { name: /Filter runs/ }).fill('');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);

    // The imported run: marked, and its episodes' replay buttons off with the reason.
    const importedRow = table.getByTestId(`run-${imported.id}`);
    expect(await importedRow.getByText('imported', { exact: true }).getAttribute('title')).toMatch(/^Imported from a results file, which holds no trajectories/);
    await importedRow.getByRole('button', { name: `Show run ${imported.id}` }).click();
    const detail = page.getByRole('article', { name: `Run ${imported.id}` });
    await detail.getByTestId('imported-note').waitFor();
    expect(await detail.getByRole('button', { name: 'Replay task 0 trial 0' }).isDisabled()).toBe(true);
    await page.getByRole('heading', { name: 'Results', level: 1 }).scrollIntoViewIfNeeded();
    await shot(page, '19-1-runs-table');

    // Delete: a dialog names the run and its folder; Cancel keeps it, Delete removes the files.
    await importedRow.getByRole('button', { name: `Delete run ${imported.id}` }).click();
    const dialog = page.getByRole('alertdialog', { name: `Delete run ${imported.id}?` });
    expect(await dialog.textContent()).toContain(`removes the folder ${store.root}/${imported.id} and everything in it`);
    await shot(page, '19-1-delete-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await importedRow.count()).toBe(1);
    await importedRow.getByRole('button', { name: `Delete run ${imported.id}` }).click();
    await dialog.getByRole('button', { name: 'Delete run' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    await expect(readFile(path.join(store.root, imported.id, 'run.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The name stays for later visits (labels.json): put the id back so the rest of this session reads as before.
    await store.rename(newest!.id, '');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the newest simulator fidelity report on the Results page, or how to make one", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.url}#/results`);
    const section = page.getByRole('region', { name: 'Simulator fidelity' });
    await expect.poll(() => section.getByTestId('fidelity-empty').textContent()).toMatch(/^No fidelity report yet: run rsd fidelity/);
    // What `rsd fidelity` writes into the server's data folder (engine/fidelity/store.ts).
    await writeReport(fidelityDir(serve.dataDir), fidelityReport());
    await page.reload();
    const table = section.getByRole('table', { name: 'Fidelity: Scripted expert, embedded fixtures at their default places' });
    await expect.poll(() => table.getByTestId('fidelity-row-total').locator('td').count(), { timeout: 10_000 }).toBe(15);
    expect((await table.getByTestId('fidelity-row-total').locator('td').allTextContents()).slice(0, 3)).toEqual(['4', '3/4 (75%)', '4 / 3']);
    expect(await section.getByRole('table', { name: 'Fidelity: closed-loop success, paired' }).locator('tfoot td').allTextContents()).toEqual(['20', '19 (95.0%)', '16 (80.0%)', '3', '0', '0.250']);
    await section.scrollIntoViewIfNeeded();
    await shot(page, 'results-fidelity');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('follows the dark theme', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${serve.url}#/results`);
    await expect.poll(() => page.locator('[data-testid^="episode-0-"]').count(), { timeout: 10_000 }).toBe(2); // the newest run above, kept by the engine
    expect(await page.getByRole('table', { name: 'Runs' }).evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)).toBe('rgb(31, 34, 41)');
    await shot(page, 'results-page-dark');
    // The Run page, with what an empty form is told.
    await page.goto(`${serve.url}#/run`);
    await page.getByRole('form', { name: 'Evaluation' }).getByRole('checkbox', { name: /^Task 9:/ }).waitFor();
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.getByText('Choose at least one task.').count()).toBe(1);
    await shot(page, 'run-page-dark-invalid');
    await context.close();
  });
  it("runs a policy server chosen on the Run page: its address from the settings, its metadata shown, its RSD records in Results and Replay", async () => {
    // The settings as the Checklist's policy server field saves them (that field is tested in checklist.test.ts).
    await writeFile(path.join(serve.dataDir, 'settings.json'), JSON.stringify({ version: 1, policyServer: policyServer.url }));
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.url}#/run`);
    const form = page.getByRole('form', { name: 'Evaluation' });
    await form.getByRole('checkbox', { name: /^Task 0:/ }).check();
    await form.getByLabel('Policy', { exact: true }).selectOption({ label: 'Policy server' });
    expect(await form.getByLabel('Server address').getAttribute('placeholder')).toBe(policyServer.url);
    await form.getByRole('button', { name: 'Check server' }).click();
    const metadata = page.getByTestId('server-metadata');
    await expect.poll(() => metadata.locator('li').allTextContents(), { timeout: 10_000 }).toContain('Model: stand-in-rsd, sha256:5a1d0000');
    expect(await form.getByLabel('Policy profile').locator('option').first().textContent()).toBe('From the server’s metadata (rsd-server)');
    await form.getByLabel('Trials per task').fill('1');
    await form.getByLabel('Max steps per episode').fill('20');
    await shot(page, 'run-page-policy-server');

    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(await page.locator('.run-config-line').textContent()).toContain(`stand-in-rsd from ${policyServer.url} (profile rsd-server) · remote`);
    expect(policyServer.answered).toBe(3);

    await page.getByRole('button', { name: 'Open results' }).click();
    const run = page.getByRole('article', { name: /^Run / });
    await expect.poll(() => run.getByTestId('task-row-0').count(), { timeout: 10_000 }).toBe(1);
    expect(await run.locator('.results-headline .muted').first().textContent()).toContain(`policy stand-in-rsd sha256:5a1d0000… from ${policyServer.url} (profile rsd-server) · remote`);
    expect(await run.getByRole('cell', { name: 'All tasks, layer 1: 100.0% (3 of 3)' }).count()).toBe(1);
    expect(await run.getByRole('cell', { name: 'All tasks, layer 2: 0.0% (0 of 3)' }).count()).toBe(1);
    expect((await run.getByTestId('latency-verifyMs').locator('td').allTextContents())[0]).toBe(`${STAND_IN_RSD_RECORD.stages_ms.verify.toFixed(2)} ms`);
    expect(await run.getByTestId('latency-ortMs').locator('th').textContent()).toBe('Server, all stages ortMs');
    await shot(page, 'results-policy-server');

    // Its episode in Replay: the chunk's record and the server's note.
    await run.getByTestId('episode-0-0').click();
    await expect.poll(() => page.getByTestId('replay-chunk').textContent(), { timeout: 20_000 }).toMatch(/^#1 of 3, steps 0–7: accepted 2 of 3 draft layers · /);
    expect(await page.getByTestId('replay-chunk-note').textContent()).toBe(STAND_IN_RSD_RECORD.note);
    expect(errors).toEqual([]);
    await context.close();
  });
});
