import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../engine/commands/args.js';
import { main } from '../../../engine/cli.js';
import { formatList, runs, type ShowReport } from '../../../engine/commands/runs.js';
import type { Comparison } from '../../../engine/api/schemas/comparison.js';
import { wilson } from '../../../engine/eval/metrics.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { RunStore } from '../../../engine/runs/store.js';
import type { StoredRunSummary } from '../../../engine/api/schemas/runs.js';
import { chunks, config, episode } from '../runs/fixtures.js';

const execFileAsync = promisify(execFile);

async function rsd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/rsd.mjs', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `rsd runs ...` in this process (through the CLI's entry point, which prints errors), capturing what it writes. */
async function call(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(['runs', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let root: string;
let runsRoot: string;
let idA: string;
let idB: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-runs-cmd-'));
  runsRoot = path.join(root, 'runs');
  const store = new RunStore(runsRoot);
  // A: finished, speculative, 30 ms chunks; one errored episode.
  const a = await store.createRun(config(), { id: 'run-a', now: new Date('2026-11-25T10:00:00Z') });
  const outcomesA = [['success', 'success', 'failure'], ['error', 'success', 'failure']] as const;
  for (const [taskId, outcomes] of outcomesA.entries()) {
    for (const [trial, o] of outcomes.entries()) await a.appendEpisode(episode(taskId, trial, o, { chunks: chunks([2, 1], 2, [30, 30]) }));
  }
  await a.finish();
  // B: autoregressive, 10 ms chunks, still running with 5 of 6 episodes.
  const b = await store.createRun(config({ decoding: 'autoregressive', accept: null, threshold: null }), { id: 'run-b', now: new Date('2026-11-25T12:00:00Z') });
  const outcomesB = [['success', 'success', 'success'], ['success', 'success']] as const;
  for (const [taskId, outcomes] of outcomesB.entries()) {
    for (const [trial, o] of outcomes.entries()) await b.appendEpisode(episode(taskId, trial, o, { chunks: chunks([0, 0], 0, [10, 10]) }));
  }
  idA = a.id;
  idB = b.id;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rsd runs', () => {
  it('list: newest first; a runs root that does not exist has no runs; the default root is <data dir>/runs', async () => {
    const { code, stdout } = await call('list', '--runs', runsRoot, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { root: string; runs: StoredRunSummary[] };
    expect(report.root).toBe(runsRoot);
    expect(report.runs.map((r) => [r.id, r.status, r.episodesDone, r.episodesPlanned])).toEqual([
      [idB, 'running', 5, 6],
      [idA, 'completed', 6, 6],
    ]);
    const text = await call('list', '--runs', runsRoot);
    expect(text.stdout).toMatch(/^2 runs in /);
    expect(text.stdout).toMatch(/run-b +running +5\/6 +libero_spatial +autoregressive/);
    expect(text.stdout).toMatch(/run-a +completed +6\/6 +libero_spatial +speculative\/threshold 0\.7/);

    // A depth widens the decoding column, and the columns stay aligned.
    const [b0, a0] = report.runs;
    const deep = formatList(runsRoot, [{ ...a0!, depth: { layers: 3, of: 8 } }, b0!]).split('\n');
    expect(deep[2]).toMatch(/ speculative\/threshold 0\.7, 3 of 8 layers cpu /);
    expect(deep[1]!.indexOf(' ep ')).toBe(deep[2]!.indexOf(' cpu '));
    expect(deep[3]!.indexOf(' cpu ')).toBe(deep[2]!.indexOf(' cpu '));

    const missing = path.join(root, 'nothing-here');
    expect((await call('list', '--runs', missing)).stdout).toBe(`no runs in ${missing}\n`);
    const byDefault = JSON.parse((await call('list', '--json')).stdout) as { root: string; runs: unknown[] };
    expect(byDefault).toEqual({ root: path.join(process.env.RSD_DATA_DIR!, 'runs'), runs: [] });
  });

  it('show: configuration, success with Wilson 95% intervals, latency, acceptance, errors apart', async () => {
    const { code, stdout } = await call('show', idA, '--runs', runsRoot);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^run run-a: completed\n/);
    expect(stdout).toContain('suite libero_spatial, tasks 0,1, 3 trials each, seed 7, max 220 steps (+10 wait)');
    expect(stdout).toContain('decoding speculative/threshold 0.7; bundle test-bundle (sha256:abc)');
    const w = wilson(2, 3);
    const interval = `[${(100 * w.low).toFixed(1)}%, ${(100 * w.high).toFixed(1)}%]`;
    expect(stdout).toMatch(new RegExp(`\\n {6}0 2/3 \\(66\\.7%\\) +${interval.replace(/[[\]().]/g, '\\$&')} +1 +0  pick_up_the_black_bowl_between`));
    expect(stdout).toMatch(/\n {2}total 3\/6 \(50\.0%\) +\[18\.8%, 81\.2%\] +2 +1\n/);
    expect(stdout).toMatch(/\n {4}totalMs +30\.00 +30\.00 +30\.00\n/);
    expect(stdout).toContain('acceptance over 12 speculative chunks: mean accepted layers 1.50');
    expect(stdout).toMatch(/\n {8}0 +12\/12 +100\.0% +6 +n\/a\n {8}1 +6\/12 +50\.0% +6 +n\/a\n/);
    expect(stdout).toContain('1 episode ended in error (counted as not successful):\n    task 1 trial 0 (init 0): MuJoCo unstable');
    expect(stdout).not.toContain('so far');

    const json = JSON.parse((await call('show', idA, '--runs', runsRoot, '--json')).stdout) as ShowReport;
    expect(json.run).toMatchObject({ id: idA, status: 'completed' });
    expect(json.progress).toEqual({ episodesDone: 6, episodesPlanned: 6, complete: true });
    expect(json.results.total).toMatchObject({ episodes: 6, successes: 3, errors: 1, wilson95: wilson(3, 6) });
    expect(json.results.latency.stages.totalMs).toEqual({ median: 30, p90: 30, p99: 30 });
    expect(json.results).not.toHaveProperty('episodes');
  });

  it('list and show: a run\'s name and note (labels.json, runs.rename and runs.note) and its success, latency and simulator', async () => {
    const store = new RunStore(runsRoot);
    await store.rename(idA, 'sweep 0.7');
    await store.setNote(idA, 'baseline\nseed 7');
    const listed = JSON.parse((await call('list', '--runs', runsRoot, '--json')).stdout) as { runs: StoredRunSummary[] };
    expect(listed.runs.find((r) => r.id === idA)).toMatchObject({ name: 'sweep 0.7', note: 'baseline\nseed 7', successes: 3, wilson95: wilson(3, 6), medianChunkMs: 30, simulator: 'mujoco-wasm 3.3.8' });
    expect(listed.runs.find((r) => r.id === idB)).not.toHaveProperty('name');
    const text = (await call('list', '--runs', runsRoot)).stdout;
    expect(text).toMatch(/run-a +completed .* test-bundle {2}"sweep 0\.7"\n {4}note: baseline \/ seed 7\n/);
    const shown = (await call('show', idA, '--runs', runsRoot)).stdout;
    expect(shown).toMatch(/^run run-a: completed\n {2}name: sweep 0\.7\n {2}note: baseline\n {8}seed 7\n/);
    const json = JSON.parse((await call('show', idA, '--runs', runsRoot, '--json')).stdout) as ShowReport;
    expect(json.labels).toEqual({ name: 'sweep 0.7', note: 'baseline\nseed 7' });
  });

  it('show: a running (or interrupted) run shows what finished so far', async () => {
    const { code, stdout } = await call('show', idB, '--runs', runsRoot);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^run run-b: running\n/);
    expect(stdout).toContain('5 of 6 episodes finished so far');
    expect(stdout).toMatch(/\n {2}total 5\/5 \(100\.0%\)/);
    expect(stdout).toContain('acceptance: no speculative chunks');
    const json = JSON.parse((await call('show', idB, '--runs', runsRoot, '--json')).stdout) as ShowReport;
    expect(json.progress).toEqual({ episodesDone: 5, episodesPlanned: 6, complete: false });
  });

  it('export then import round-trips, and the exported file validates', async () => {
    const file = path.join(root, 'exported.json');
    const exported = await call('export', idA, file, '--runs', runsRoot, '--json');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual({ id: idA, file, status: 'completed', episodes: 6 });
    const results = validateResults(JSON.parse(await readFile(file, 'utf8')));
    expect(results.total.successes).toBe(3);

    const elsewhere = path.join(root, 'elsewhere');
    const imported = await call('import', file, '--runs', elsewhere);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`as run ${idA} (completed, 6 episodes)`);
    const run = await new RunStore(elsewhere).open(idA);
    expect(await run.results()).toEqual(results);
    expect(validateResults(JSON.parse(await readFile(run.resultsFile, 'utf8')))).toEqual(results);
  });

  it('an imported results file with terminal controls in its bundle name and errors: escaped in list and show, kept in --json', async () => {
    const evil = '\u001b[31mred\u202e';
    const store = new RunStore(path.join(root, 'evil-source'));
    const run = await store.createRun(config({ bundle: { name: evil, hash: 'sha256:abc' } }), { id: 'run-evil', now: new Date('2026-11-26T10:00:00Z') });
    await run.appendEpisode(episode(0, 0, 'error', { error: `boom ${evil}\u001b]0;title\u0007` }));
    await run.finish();
    const file = path.join(root, 'evil.json');
    await store.exportRun('run-evil', file);
    const elsewhere = path.join(root, 'evil-imported');
    expect((await call('import', file, '--runs', elsewhere)).code).toBe(0);

    const list = await call('list', '--runs', elsewhere);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('\\u{1b}[31mred\\u{202e}');
    expect(list.stdout).not.toMatch(/[\u001b\u202e\u0007]/);
    const show = await call('show', 'run-evil', '--runs', elsewhere);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('bundle \\u{1b}[31mred\\u{202e} (sha256:abc)');
    expect(show.stdout).toContain('boom \\u{1b}[31mred\\u{202e}\\u{1b}]0;title\\u{7}');
    expect(show.stdout).not.toMatch(/[\u001b\u202e\u0007]/);
    const json = JSON.parse((await call('show', 'run-evil', '--runs', elsewhere, '--json')).stdout) as ShowReport;
    expect(json.run.config.bundle.name).toBe(evil);
  });

  it('import of a corrupted file exits 2 naming the field (through the CLI)', async () => {
    const file = path.join(root, 'exported.json');
    await new RunStore(runsRoot).exportRun(idA, file);
    const json = JSON.parse(await readFile(file, 'utf8')) as { episodes: Record<string, unknown>[] };
    json.episodes[4]!.steps = -3;
    await writeFile(file, JSON.stringify(json));
    const elsewhere = path.join(root, 'elsewhere');
    const { code, stdout, stderr } = await rsd('runs', 'import', file, '--runs', elsewhere);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^rsd runs import: episodes\[4\]\.steps: /);
    expect(stderr).not.toContain('    at '); // a message, not a stack

    // A total that its episodes do not give: refused, naming the aggregate.
    json.episodes[4]!.steps = 100;
    (json as unknown as { total: { successes: number } }).total.successes = 4;
    await writeFile(file, JSON.stringify(json));
    const tampered = await call('import', file, '--runs', elsewhere, '--json');
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toMatch(/total\.successes: does not match what the episodes give/);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ error: { kind: 'ResultsError', field: 'total.successes' } });
    expect(await new RunStore(elsewhere).list()).toEqual([]);
  });

  it('compare --json: paired success, McNemar, latency ratio', async () => {
    const { code, stdout } = await call('compare', idA, idB, '--runs', runsRoot, '--json');
    expect(code).toBe(0);
    const c = JSON.parse(stdout) as Comparison;
    expect(c.a.id).toBe(idA);
    expect(c.b.id).toBe(idB);
    expect(c.paired).toBe(5);
    expect(c.unpaired).toMatchObject({ total: 1, onlyInA: 1, onlyInB: 0, initIndexDiffers: 0 });
    // Paired: task 0 trials 0-2 (S,S,F vs S,S,S), task 1 trials 0-1 (E,S vs S,S): 0 A-only, 2 B-only.
    expect(c.total).toMatchObject({ n: 5, successesA: 3, successesB: 5, onlyA: 0, onlyB: 2 });
    expect(c.total.pValue).toBeCloseTo(0.5, 12); // 2 * (1/2)^2
    expect(c.latency.totalRatio).toBeCloseTo(3, 12);
    const text = await call('compare', idA, idB, '--runs', runsRoot);
    expect(text.stdout).toContain('B is 3.00 times faster per chunk');
  });

  it('refuses to compare runs on different suites, exit 2', async () => {
    const store = new RunStore(runsRoot);
    const other = await store.createRun(config({ suite: 'libero_goal' }), { id: 'run-goal' });
    await other.appendEpisode(episode(0, 0, 'success'));
    const { code, stderr } = await call('compare', idA, 'run-goal', '--runs', runsRoot);
    expect(code).toBe(2);
    expect(stderr).toContain('A is libero_spatial, B is libero_goal');
  });

  it('a run that does not exist: exit 2 naming it', async () => {
    const { code, stderr } = await call('show', 'no-such-run', '--runs', runsRoot);
    expect(code).toBe(2);
    expect(stderr).toBe(`rsd runs show: no run "no-such-run" in ${runsRoot}\n`);
  });

  it('usage errors: no or unknown subcommand, missing or extra arguments, unknown flags', async () => {
    await expect(runs([])).rejects.toThrow(UsageError);
    await expect(runs(['frob'])).rejects.toThrow(/unknown subcommand "frob"/);
    await expect(runs(['show'])).rejects.toThrow(/missing RUN/);
    await expect(runs(['compare', idA])).rejects.toThrow(/missing RUN_B/);
    await expect(runs(['export', idA])).rejects.toThrow(/missing FILE/);
    await expect(runs(['list', 'extra'])).rejects.toThrow(/unexpected argument "extra"/);
    await expect(runs(['list', '--frob'])).rejects.toThrow(UsageError);
    const { code, stderr } = await rsd('runs', 'import');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^rsd runs import: missing FILE \(usage: rsd runs import FILE/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('export refuses a folder that does not exist, exit 2 naming it, and creates nothing (through the CLI)', async () => {
    const folder = path.join(root, 'missing', 'dir');
    const file = path.join(folder, 'file.json');
    const { code, stdout, stderr } = await rsd('runs', 'export', idA, file, '--runs', runsRoot);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`rsd runs export: cannot export to ${file}: the folder ${folder} does not exist (create it first)\n`);
    await expect(stat(path.join(root, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it("export refuses to write onto a run's own files, or onto a folder", async () => {
    const store = new RunStore(runsRoot);
    const run = await store.open(idA);
    const before = await Promise.all([run.resultsFile, run.episodesFile, path.join(run.dir, 'run.json')].map((f) => readFile(f, 'utf8')));
    for (const target of [run.resultsFile, run.episodesFile, path.join(run.dir, 'run.json'), path.join(runsRoot, idB, 'results.json')]) {
      const { code, stderr } = await call('export', idA, target, '--runs', runsRoot);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^rsd runs export: cannot export to .*: it is inside run run-[ab]'s folder in the run store, whose files it would overwrite; export to a file outside /);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(await Promise.all([run.resultsFile, run.episodesFile, path.join(run.dir, 'run.json')].map((f) => readFile(f, 'utf8')))).toEqual(before);
    const onFolder = await call('export', idA, root, '--runs', runsRoot);
    expect(onFolder.code).toBe(2);
    expect(onFolder.stderr).toBe(`rsd runs export: cannot export to ${root}: it is a folder; name a file\n`);
    // Beside the runs, in the runs folder itself, is allowed: nothing of a run is overwritten.
    expect((await call('export', idA, path.join(runsRoot, 'a-copy.json'), '--runs', runsRoot)).code).toBe(0);
  });
});
