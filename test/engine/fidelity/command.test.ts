import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FidelityReport } from '../../../engine/api/schemas/fidelity.js';
import { main, usageOf } from '../../../engine/cli.js';
import { extractRuns } from '../../../engine/commands/fidelity.js';
import { fidelityHandlers } from '../../../engine/fidelity/handlers.js';
import { fidelityDir, latestReport } from '../../../engine/fidelity/store.js';
import { summarize } from '../../../engine/runs/results-schema.js';
import { defaultRunsRoot, RunStore } from '../../../engine/runs/store.js';
import { dataDir } from '../../../engine/settings/paths.js';
import { config, episode } from '../runs/fixtures.js';
import { callCli } from '../cli-call.js';

// `rsd fidelity` through the CLI's entry point (engine/cli.ts): flags refused with one line naming
// them (exit 2), a self-check run (`--sim embedded`) writing its report where `fidelity.latest`
// finds it, and `--runs` pairing two runs of the run store. test/engine/setup.ts gives this file
// its own data folder.

const LIBERO = path.resolve('../shared/libero');
const haveLibero = existsSync(path.join(LIBERO, 'init_files'));
if (!haveLibero) console.log(`rsd fidelity runs skipped: LIBERO's init files not found in ${LIBERO}`);

const call = callCli;

/** Refused before anything runs: exit 2, one line on stderr starting with `rsd fidelity: FLAG`. */
async function refused(flag: string, ...args: string[]): Promise<string> {
  const { code, stderr } = await call('fidelity', ...args);
  expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^rsd fidelity: ${flag.replace(/[-+]/g, '\\$&')}\\b`));
  return lines[0]!;
}

describe('rsd fidelity: flags', () => {
  it('is in the help', () => {
    const usage = usageOf('fidelity');
    expect(usage).toContain('rsd fidelity [--suite libero_spatial] [--tasks 0-9] [--trials 10]');
    expect(usage).toContain('[--runs EMBEDDED_RUN LIBERO_RUN]');
  });

  it('takes --runs with two ids, spaced or comma-separated, out of the flags', () => {
    expect(extractRuns(['--sim', 'embedded', '--runs', 'a', 'b', '--json'])).toEqual({ rest: ['--sim', 'embedded', '--json'], runs: ['a', 'b'] });
    expect(extractRuns(['--runs=a,b'])).toEqual({ rest: [], runs: ['a', 'b'] });
    expect(extractRuns(['--runs', 'a,b', '--tasks', '0'])).toEqual({ rest: ['--tasks', '0'], runs: ['a', 'b'] });
    expect(extractRuns(['--tasks', '0'])).toEqual({ rest: ['--tasks', '0'], runs: null });
  });

  it('refuses bad flags with one line naming the flag, exit 2', async () => {
    expect(await refused('--sim', '--sim', 'mujoco')).toContain('expected one of embedded, libero, got "mujoco"');
    expect(await refused('--sources', '--sources', 'expert,human')).toContain('expert, bundle');
    expect(await refused('--sources', '--sources', 'expert,expert')).toContain('twice');
    expect(await refused('--fixtures', '--fixtures', 'none')).toContain('default, reference');
    expect(await refused('--fixtures', '--fixtures', 'centre')).toContain('got "centre"');
    expect(await refused('--trials', '--trials', '51')).toContain('1..50');
    expect(await refused('--trials', '--trials', '0x3')).toContain('expected an integer');
    expect(await refused('--tasks', '--tasks', '10')).toContain('libero_spatial has tasks 0-9');
    expect(await refused('--suite', '--suite', 'libero_goal')).toContain('libero_spatial only');
    expect(await refused('--suite', '--suite', 'libero_spacial')).toContain('libero_spatial');
    expect(await refused('--max-steps', '--max-steps', '100000')).toContain('at most');
    expect(await refused('--python', '--sim', 'embedded', '--python', '/usr/bin/python3')).toContain('applies to --sim libero');
    expect(await refused('--runs', '--runs', 'only-one')).toContain('expected two run ids');
    expect(await refused('--runs', '--runs', 'a', 'b', '--runs', 'c', 'd')).toContain('given twice');
    expect(await refused('--sources', '--sources', 'none')).toContain('nothing to compare');
    expect(await refused('--bundle', '--sources', 'expert', '--bundle', '/tmp')).toContain('bundle source');
    expect(await refused('--libero', '--sim', 'embedded', '--libero', '/nonexistent/libero')).toContain('does not exist');
    expect(await refused('--runs', '--sim', 'embedded', '--sources', 'none', '--runs', 'no-such-run', 'nor-this')).toContain('no-such-run');
  });

  it('writes the error as JSON too with --json', async () => {
    const { code, stdout } = await call('fidelity', '--sim', 'nope', '--json');
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ error: { message: expect.stringContaining('--sim') } });
  });
});

describe('rsd fidelity: reports', () => {
  it('pairs two finished runs of the run store with --runs and --sources none (no simulator needed)', async () => {
    const store = new RunStore(defaultRunsRoot());
    const make = async (id: string, backend: string, outcomes: ('success' | 'failure')[]) => {
      const c = config({ tasks: [0], trials: outcomes.length, simulator: { backend, version: 'v' }, initStates: { source: 'libero', location: null } });
      const results = summarize(c, outcomes.map((o, trial) => episode(0, trial, o)), { id, status: 'completed', createdAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T11:00:00.000Z' });
      await store.importResultsText(JSON.stringify(results), `${id}.json`);
    };
    await make('run-embedded', 'embedded', ['success', 'success', 'success', 'failure']);
    await make('run-self', 'embedded', ['success', 'failure', 'failure', 'failure']);
    const { code, stdout, stderr } = await call('fidelity', '--sim', 'embedded', '--sources', 'none', '--runs', 'run-embedded', 'run-self');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('rsd fidelity: libero_spatial, closed loop only (--sources none)');
    expect(stdout).toContain('closed loop: run run-embedded (E: embedded v) against run run-self (R: embedded v), bundle test-bundle; 4 paired episodes, 0 unpaired');
    const total = stdout.split('\n').find((l) => l.trimStart().startsWith('total'))!;
    expect(total.trim().split(/\s+/)).toEqual(['total', '4', '3', '(75.0%)', '1', '(25.0%)', '2', '0', '0.500']);
    const latest = await latestReport(fidelityDir(dataDir()));
    expect(latest.report?.closedLoop?.total).toMatchObject({ n: 4, successesA: 3, successesB: 1, onlyA: 2, onlyB: 0 });
    expect(latest.report?.episodeCount).toBe(0);
    // The order matters: the embedded run first.
    expect(await refused('--runs', '--sources', 'none', '--runs', 'run-embedded', 'run-embedded')).toContain('ran in the embedded simulator, not libero');
  });

  it.skipIf(!haveLibero)('self-checks the embedded simulator against itself: zero divergence, the report written where fidelity.latest reads it', async () => {
    const { code, stdout, stderr } = await call('fidelity', '--sim', 'embedded', '--tasks', '0', '--trials', '1', '--sources', 'expert', '--fixtures', 'default', '--max-steps', '30', '--libero', LIBERO, '--json');
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('[1/1] expert task 0 init 0 fixtures default: embedded failure (30 steps), embedded failure (30 steps); EEF max 0.0 mm, object max 0.0 mm');
    const printed = JSON.parse(stdout) as { file: string; episodeCount: number; groups: { total: { agreement: number; eef: { median: number | null }[] } }[] };
    expect(printed.episodeCount).toBe(1);
    expect(printed.groups[0]!.total.agreement).toBe(1);
    // Policy steps 0, 25 and the end are within the 30 steps; 50 and later are not reached.
    expect(printed.groups[0]!.total.eef.map((s) => s.median)).toEqual([0, 0, null, null, null, 0]);
    expect(path.dirname(printed.file)).toBe(fidelityDir(dataDir()));
    const report = FidelityReport.parse(JSON.parse(await readFile(printed.file, 'utf8')));
    expect(report).toMatchObject({ format: 'rsd-fidelity/1', status: 'completed', suite: 'libero_spatial', tasks: [0], initIndices: [0], sources: ['expert'], fixtures: ['default'], maxSteps: 30, bundle: null, closedLoop: null });
    expect(report.initStates).toEqual({ source: 'libero', location: LIBERO });
    expect(report.reference.backend).toBe('embedded');
    expect(report.versions.mujoco).toBe('3.14.0');
    expect(report.episodes[0]!.eefError).toHaveLength(41);

    const latest = await fidelityHandlers(fidelityDir(dataDir()))['fidelity.latest']({}, { emit: () => undefined });
    expect(latest).toMatchObject({ file: printed.file, problem: null, report: { id: report.id, episodeCount: 1, disagreementCount: 0, disagreements: [] } });
  }, 30_000);
});

describe('fidelity reports on disk', () => {
  it('reads none from a missing or empty folder, and names the newest file when it is not a report', async () => {
    const dir = path.join(dataDir(), 'fidelity-probe');
    expect(await latestReport(dir)).toEqual({ dir, file: null, report: null, problem: null });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'notes.txt'), 'not a report');
    await writeFile(path.join(dir, '20990101-000000-abcdef.json'), '{}'); // a run id's shape, not a report's
    expect((await latestReport(dir)).file).toBeNull();
    await writeFile(path.join(dir, '20990101-000000000-abcdef.json'), '{"format": "rsd-fidelity/1"}');
    const latest = await latestReport(dir);
    expect(latest.report).toBeNull();
    expect(latest.problem).toMatch(/^20990101-000000000-abcdef\.json is not an rsd-fidelity\/1 report: /);
    await writeFile(path.join(dir, '20990101-000001000-abcdef.json'), '{');
    expect((await latestReport(dir)).problem).toBe('20990101-000001000-abcdef.json is not JSON');
  });
});
