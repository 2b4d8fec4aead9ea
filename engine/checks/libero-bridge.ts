import { existsSync } from 'node:fs';
import type { CheckFix, CheckId } from '../api/checks.js';
import { describePython, LIBERO_PYTHON_ENV, LiberoPythonError, liberoPythonChoice, liberoRoot, liberoWorkerScript, pythonFailure, pythonOrigin, runPython, type LiberoPythonChoice } from '../sim/libero/python.js';
import type { Check, CheckContext, Outcome } from './types.js';

/**
 * The Python bridge's rows (docs/libero-bridge.md "Checks"): the interpreter, LIBERO importable, its
 * config non-interactive, its assets, its init files, off-screen rendering. One run of
 * `PYTHON python/libero_bridge/worker.py --check --render` per checks run (shared by the six rows
 * through ctx.shared) answers them all: one JSON line per prerequisite.
 *
 * With no interpreter configured (no setting, no $RSD_LIBERO_PYTHON) and a python3 without LIBERO,
 * the rows are `not-configured`, not failing: the embedded simulator does not need the bridge.
 */

/** The worker's check ids, in its order. */
export const WORKER_CHECKS = ['interpreter', 'libero-import', 'config', 'assets', 'init-files', 'render'] as const;
export type WorkerCheckId = (typeof WORKER_CHECKS)[number];

/** One line of the worker's `--check` output. */
export interface WorkerCheckLine {
  id: WorkerCheckId;
  ok: boolean;
  detail: string;
  /** The worker's own advice, when it has some. */
  fix: string | null;
}

/** What one run of the worker's check found. */
export type BridgeProbe =
  | { kind: 'not-configured'; choice: LiberoPythonChoice; why: string }
  | { kind: 'no-worker'; choice: LiberoPythonChoice; script: string }
  | { kind: 'no-interpreter'; choice: LiberoPythonChoice; why: string }
  | { kind: 'ran'; choice: LiberoPythonChoice; script: string; lines: Map<WorkerCheckId, WorkerCheckLine>; problem: string | null; ms: number };

/** The worker's check, with rendering, at most this long (the checklist gives a row 60 s). */
export const BRIDGE_CHECK_TIMEOUT_MS = 55_000;

const DOCS = 'docs/libero-bridge.md "Connecting LIBERO"';

/** Runs the worker's check once per checks run (all six rows share it). */
export function bridgeProbe(ctx: CheckContext): Promise<BridgeProbe> {
  return ctx.shared('libero-bridge', () => probe(ctx.settings.settings, ctx.env));
}

export async function probe(settings: { liberoPython?: string | null } | null, env: NodeJS.ProcessEnv, timeoutMs = BRIDGE_CHECK_TIMEOUT_MS): Promise<BridgeProbe> {
  const choice = liberoPythonChoice(settings, env);
  if (choice.origin === 'default') {
    // Nothing configured: only a python3 that has LIBERO makes this worth checking.
    try {
      await liberoRoot(choice, { env, timeoutMs: 15_000 });
    } catch (thrown) {
      return { kind: 'not-configured', choice, why: thrown instanceof LiberoPythonError ? thrown.reason : (thrown as Error).message };
    }
  }
  const script = liberoWorkerScript(env);
  if (!existsSync(script)) return { kind: 'no-worker', choice, script };
  const started = performance.now();
  const run = await runPython(choice.python, [script, '--check', '--render'], { env, timeoutMs });
  const ms = performance.now() - started;
  if (run.failure?.kind === 'spawn') return { kind: 'no-interpreter', choice, why: pythonFailure(run)! };
  const lines = parseCheckLines(run.stdout);
  let problem: string | null = null;
  const failed = pythonFailure(run, 'finish');
  if (failed) problem = `the worker's check ${failed}`;
  else if (run.code !== 0) problem = `the worker's check exited with status ${run.code}${lastLine(run.stderr) ? `: ${lastLine(run.stderr)}` : ''}`;
  return { kind: 'ran', choice, script, lines, problem, ms };
}

/** The worker's JSON lines by id; lines that are not one of its checks (noise) are skipped. */
export function parseCheckLines(stdout: string): Map<WorkerCheckId, WorkerCheckLine> {
  const lines = new Map<WorkerCheckId, WorkerCheckLine>();
  for (const text of stdout.split('\n')) {
    let value: unknown;
    try {
      value = JSON.parse(text.trim());
    } catch {
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const v = value as Record<string, unknown>;
    if (!WORKER_CHECKS.includes(v.id as WorkerCheckId) || typeof v.ok !== 'boolean') continue;
    lines.set(v.id as WorkerCheckId, {
      id: v.id as WorkerCheckId,
      ok: v.ok,
      detail: typeof v.detail === 'string' ? v.detail : '',
      fix: typeof v.fix === 'string' && v.fix.trim() !== '' ? v.fix : null,
    });
  }
  return lines;
}

/** A path or word as one shell argument. */
export function shellArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

const LIBERO_REPO = 'https://github.com/Lifelong-Robot-Learning/LIBERO.git';

const pythonSetting = (hint: string): CheckFix => ({ kind: 'setting', setting: 'liberoPython', hint });

const installLibero = (choice: LiberoPythonChoice, what: string): CheckFix => ({
  kind: 'command',
  command: `git clone ${LIBERO_REPO} && ${shellArg(choice.python)} -m pip install -e LIBERO`,
  hint: `Installs LIBERO (with ${what}) into ${choice.python}; or set the LIBERO Python to an interpreter that has a complete LIBERO (${DOCS}).`,
});

/**
 * Writes LIBERO's config.yaml as LIBERO itself would on a first run answered "N" (its own folder for
 * every path), so importing it never asks on stdin.
 */
export function writeConfigCommand(python: string): string {
  const code = [
    'import os, yaml, importlib.util as u',
    "d = os.environ.get('LIBERO_CONFIG_PATH', os.path.expanduser('~/.libero'))",
    "r = os.path.dirname(os.path.abspath(u.find_spec('libero.libero').origin))",
    'os.makedirs(d, exist_ok=True)',
    "yaml.safe_dump(dict(benchmark_root=r, bddl_files=os.path.join(r, 'bddl_files'), init_states=os.path.join(r, 'init_files'), datasets=os.path.join(os.path.dirname(r), 'datasets'), assets=os.path.join(r, 'assets')), open(os.path.join(d, 'config.yaml'), 'w'))",
  ].join('; ');
  return `${shellArg(python)} -c "${code}"`;
}

interface BridgeRow {
  id: CheckId;
  step: WorkerCheckId;
  title: string;
  purpose: string;
  /** Earlier steps that must pass for this one to be meaningful. */
  needs: WorkerCheckId[];
  fix(choice: LiberoPythonChoice): CheckFix;
}

const ROWS: BridgeRow[] = [
  {
    id: 'bridge.python',
    step: 'interpreter',
    title: 'LIBERO Python interpreter',
    purpose:
      "The Python that runs real LIBERO (robosuite on MuJoCo's Python bindings) for the libero simulator (rsd eval --sim libero): the LIBERO Python setting, else $RSD_LIBERO_PYTHON, else python3.",
    needs: [],
    fix: () => pythonSetting(`The Python interpreter of your LIBERO install (a venv's bin/python, say); empty: $${LIBERO_PYTHON_ENV}, else python3. See ${DOCS}.`),
  },
  {
    id: 'bridge.libero',
    step: 'libero-import',
    title: 'LIBERO importable',
    purpose: 'That interpreter imports LIBERO, robosuite and MuJoCo, at versions the bridge speaks to.',
    needs: ['interpreter'],
    fix: (choice) => installLibero(choice, 'robosuite and its other requirements'),
  },
  {
    id: 'bridge.config',
    step: 'config',
    title: 'LIBERO config (non-interactive)',
    purpose: "LIBERO's config.yaml exists, so importing LIBERO never stops to ask where its datasets go (the worker has no terminal).",
    needs: ['interpreter'],
    fix: (choice) => ({
      kind: 'command',
      command: writeConfigCommand(choice.python),
      hint: "Writes LIBERO's config.yaml ($LIBERO_CONFIG_PATH, else ~/.libero) with LIBERO's own folders, as LIBERO does on a first run answered \"N\".",
    }),
  },
  {
    id: 'bridge.assets',
    step: 'assets',
    title: 'LIBERO assets',
    purpose: "The meshes and textures LIBERO's scenes are built from (the assets folder of its config).",
    needs: ['interpreter', 'libero-import'],
    fix: (choice) => installLibero(choice, 'its assets'),
  },
  {
    id: 'bridge.init',
    step: 'init-files',
    title: 'LIBERO init files load',
    purpose: "LIBERO's fixed initial states (init_files/*.pruned_init), read by LIBERO itself: the 50 starts per task OpenVLA-OFT evaluates on.",
    needs: ['interpreter', 'libero-import'],
    fix: (choice) => installLibero(choice, 'its init files'),
  },
  {
    id: 'bridge.render',
    step: 'render',
    title: 'Off-screen rendering',
    purpose: 'MuJoCo renders the cameras a policy sees (agentview and wrist) without a window, through EGL or OSMesa.',
    needs: ['interpreter', 'libero-import'],
    fix: () =>
      process.platform === 'linux'
        ? {
            kind: 'command',
            command: 'sudo apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6',
            hint: 'EGL (a GPU driver, or Mesa on the CPU) or OSMesa for MuJoCo; then start the app with MUJOCO_GL=egl (or MUJOCO_GL=osmesa) in its environment.',
          }
        : { kind: 'command', command: 'export MUJOCO_GL=glfw', hint: 'The GL backend MuJoCo renders with; start the app from that shell.' },
  },
];

const TITLE_OF = new Map(ROWS.map((r) => [r.step, r.title]));

function outcome(row: BridgeRow, probe: BridgeProbe): Outcome {
  const choice = probe.choice;
  switch (probe.kind) {
    case 'not-configured':
      return row.step === 'interpreter'
        ? {
            status: 'not-configured',
            detail: `No LIBERO Python set (setting, or ${LIBERO_PYTHON_ENV}), and ${choice.python} ${probe.why}. The embedded simulator does not need one; to evaluate in real LIBERO (rsd eval --sim libero), install LIBERO in a Python and choose that interpreter here (${DOCS}).`,
            fix: row.fix(choice),
          }
        : { status: 'not-configured', detail: 'Needs a Python with LIBERO: set one in the "LIBERO Python interpreter" row.' };
    case 'no-worker':
      return {
        status: 'unknown',
        detail: `Not checked: the bridge's worker script is missing (${probe.script}). A checkout or install without python/libero_bridge/ cannot run real LIBERO.`,
      };
    case 'no-interpreter':
      return row.step === 'interpreter'
        ? { status: 'fail', detail: `${capitalize(describePython(choice))} ${probe.why}.`, fix: row.fix(choice) }
        : { status: 'unknown', detail: 'Not checked: the interpreter did not start (see the "LIBERO Python interpreter" row).' };
    case 'ran':
      return fromLine(row, probe);
  }
}

function fromLine(row: BridgeRow, probe: Extract<BridgeProbe, { kind: 'ran' }>): Outcome {
  const line = probe.lines.get(row.step);
  const blocked = row.needs.find((step) => probe.lines.get(step)?.ok === false);
  if (!line) {
    if (blocked) return { status: 'unknown', detail: `Not checked: see the "${TITLE_OF.get(blocked)}" row.` };
    const why = probe.problem ?? "the worker's check printed no result for it";
    return { status: 'unknown', detail: `Not checked: ${why}.` };
  }
  const detail = line.detail || (line.ok ? 'OK.' : 'Failed.');
  const advice = line.fix ? `\nThe bridge suggests: ${line.fix}` : '';
  if (line.ok) {
    const where = row.step === 'interpreter' ? `\n${probe.choice.python} (${pythonOrigin(probe.choice)}); the bridge's check took ${(probe.ms / 1000).toFixed(1)} s.` : '';
    return { status: 'pass', detail: `${detail}${where}` };
  }
  if (blocked) return { status: 'unknown', detail: `Not checked: see the "${TITLE_OF.get(blocked)}" row. ${detail}` };
  return { status: 'fail', detail: `${detail}${advice}`, fix: row.fix(probe.choice) };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

function bridgeCheck(row: BridgeRow): Check {
  return {
    id: row.id,
    title: row.title,
    group: 'simulator',
    purpose: row.purpose,
    reads: ['liberoPython'],
    async run(ctx) {
      return outcome(row, await bridgeProbe(ctx));
    },
  };
}

export const [bridgePythonCheck, bridgeLiberoCheck, bridgeConfigCheck, bridgeAssetsCheck, bridgeInitCheck, bridgeRenderCheck] = ROWS.map(bridgeCheck) as [Check, Check, Check, Check, Check, Check];
