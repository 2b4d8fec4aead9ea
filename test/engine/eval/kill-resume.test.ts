import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import type { Results } from '../../../engine/api/schemas/results.js';

// `rsd eval` in a child process, killed with SIGKILL mid-run, then `--resume`d: the issue's
// reliability test, against the real CLI, MuJoCo and onnxruntime.
const bin = fileURLToPath(new URL('../../../bin/rsd.mjs', import.meta.url));
let tmp: string;
let bundle: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-kill-'));
  bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const evalArgs = (out: string): string[] => ['eval', '--bundle', bundle, '--tasks', '0,1', '--trials', '4', '--max-steps', '40', '--workers', '2', '--out', out, '--json'];

function rsd(args: string[], killAfterEpisodes?: { root: string; count: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    let timer: NodeJS.Timeout | undefined;
    if (killAfterEpisodes) {
      // Poll the run's episodes.jsonl; SIGKILL once enough episodes are on disk.
      timer = setInterval(() => {
        void finishedLines(killAfterEpisodes.root).then((n) => {
          if (n >= killAfterEpisodes.count && proc.exitCode === null) proc.kill('SIGKILL');
        });
      }, 20);
    }
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function runDir(root: string): Promise<string | null> {
  const names = await readdir(root).catch(() => [] as string[]);
  return names.length === 1 ? path.join(root, names[0]!) : null;
}

async function finishedLines(root: string): Promise<number> {
  const dir = await runDir(root);
  if (!dir) return 0;
  const text = await readFile(path.join(dir, 'episodes.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).length;
}

/** An episode's outcome and, from its trajectory, the actions it executed. */
async function episodesOf(dir: string, results: Results): Promise<string[]> {
  return Promise.all(
    results.episodes.map(async (e) => {
      const t = JSON.parse(await readFile(path.join(dir, 'trajectories', e.trajectory!), 'utf8')) as { actions: string };
      return `${e.taskId}/${e.trial}/${e.initIndex} ${e.outcome} ${e.steps} ${e.chunks.draftLayers.length} ${t.actions}`;
    }),
  );
}

describe('rsd eval killed with SIGKILL mid-run, then --resume', () => {
  it('loses no finished episode, repeats none, and ends with the results of an uninterrupted run', async () => {
    const killedRoot = path.join(tmp, 'killed');
    const killed = await rsd(evalArgs(killedRoot), { root: killedRoot, count: 3 });
    expect(killed.signal).toBe('SIGKILL');
    const dir = (await runDir(killedRoot))!;
    const before = await readFile(path.join(dir, 'episodes.jsonl'), 'utf8');
    const finishedBefore = before.split('\n').filter((l) => l.trim()).length;
    expect(finishedBefore).toBeGreaterThanOrEqual(3);
    expect(finishedBefore).toBeLessThan(8);
    const runJson = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { id: string; status: string };
    expect(runJson.status).toBe('running'); // nobody got to say otherwise

    const resumed = await rsd(['eval', '--resume', runJson.id, '--out', killedRoot, '--json']);
    expect(resumed.stderr).not.toMatch(/Error/);
    expect(resumed.code).toBe(0);
    const after = await readFile(path.join(dir, 'episodes.jsonl'), 'utf8');
    // Finished episodes are kept byte for byte; only new ones are appended.
    expect(after.startsWith(before.slice(0, before.lastIndexOf('\n') + 1))).toBe(true);
    const results = validateResults(JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')));
    const keys = results.episodes.map((e) => `${e.taskId}/${e.trial}`);
    expect(keys).toEqual(['0/0', '0/1', '0/2', '0/3', '1/0', '1/1', '1/2', '1/3']);
    expect(after.split('\n').filter((l) => l.trim())).toHaveLength(8);

    const cleanRoot = path.join(tmp, 'clean');
    const clean = await rsd(evalArgs(cleanRoot));
    expect(clean.code).toBe(0);
    const cleanDir = (await runDir(cleanRoot))!;
    const cleanResults = validateResults(JSON.parse(await readFile(path.join(cleanDir, 'results.json'), 'utf8')));
    // Same structure and, greedy decoding being deterministic, the same episodes.
    expect(Object.keys(results)).toEqual(Object.keys(cleanResults));
    expect(results.tasks.map(({ taskId, episodes, successes, errors }) => ({ taskId, episodes, successes, errors }))).toEqual(
      cleanResults.tasks.map(({ taskId, episodes, successes, errors }) => ({ taskId, episodes, successes, errors })),
    );
    expect(await episodesOf(dir, results)).toEqual(await episodesOf(cleanDir, cleanResults));
  }, 120_000);
});
