import { spawn } from 'node:child_process';
import path from 'node:path';
import { appRoot } from '../../util/app-root.js';
import { InputError } from '../../util/input-error.js';
import { unpackedPath } from '../../util/packages.js';

/**
 * The Python side of the `libero` simulator (docs/libero-bridge.md): which interpreter runs the
 * user's LIBERO, where the bridge's worker script is, and where that interpreter's LIBERO keeps its
 * task files. The resolver (engine/eval/resolve.ts), the checklist's bridge rows (engine/checks)
 * and the bridge's client (engine/sim/libero) all ask here, so they agree.
 */

/** The interpreter when the settings name none. */
export const LIBERO_PYTHON_ENV = 'RSD_LIBERO_PYTHON';
/** Another worker script than the one that ships (development and tests: a stand-in). */
export const LIBERO_WORKER_ENV = 'RSD_LIBERO_WORKER';
/** The interpreter when neither the settings nor the environment name one (looked up on PATH). */
export const DEFAULT_LIBERO_PYTHON = 'python3';

export type LiberoPythonOrigin = 'request' | 'settings' | 'env' | 'default';

export interface LiberoPythonChoice {
  python: string;
  /** Where it came from: the run request (`--python`), settings.json, $RSD_LIBERO_PYTHON, or python3. */
  origin: LiberoPythonOrigin;
}

/** The settings' part this module reads (structural: engine/sim does not import the settings contract). */
export type LiberoPythonSettings = { liberoPython?: string | null } | null | undefined;

/**
 * The interpreter of the libero backend and where it came from: the request's, else the settings'
 * `liberoPython`, else $RSD_LIBERO_PYTHON, else `python3` on PATH.
 */
export function liberoPythonChoice(settings: LiberoPythonSettings, env: NodeJS.ProcessEnv = process.env, requested?: string): LiberoPythonChoice {
  if (requested) return { python: requested, origin: 'request' };
  if (settings?.liberoPython) return { python: settings.liberoPython, origin: 'settings' };
  const fromEnv = env[LIBERO_PYTHON_ENV]?.trim();
  if (fromEnv) return { python: fromEnv, origin: 'env' };
  return { python: DEFAULT_LIBERO_PYTHON, origin: 'default' };
}

/** The interpreter of the libero backend (see liberoPythonChoice). */
export function liberoPython(settings: LiberoPythonSettings, env: NodeJS.ProcessEnv = process.env): string {
  return liberoPythonChoice(settings, env).python;
}

/** Where the interpreter came from, in words: "the LIBERO Python in settings". */
export function pythonOrigin(choice: LiberoPythonChoice): string {
  switch (choice.origin) {
    case 'request':
      return 'from the run request';
    case 'settings':
      return 'the LIBERO Python in settings';
    case 'env':
      return `from ${LIBERO_PYTHON_ENV}`;
    case 'default':
      return `no LIBERO Python in settings, no ${LIBERO_PYTHON_ENV}`;
  }
}

/** "the interpreter /x (the LIBERO Python in settings)", for messages. */
export function describePython(choice: LiberoPythonChoice): string {
  return `the ${choice.origin === 'default' ? 'default ' : ''}interpreter ${choice.python} (${pythonOrigin(choice)})`;
}

/**
 * The bridge's worker script, python/libero_bridge/worker.py under the app's folder ($RSD_LIBERO_WORKER
 * overrides it). In a packaged app it lies in app.asar.unpacked (electron-builder.yml), where Python
 * can read it.
 */
export function liberoWorkerScript(env: NodeJS.ProcessEnv = process.env, root?: string): string {
  const given = env[LIBERO_WORKER_ENV]?.trim();
  if (given) return path.resolve(given);
  return unpackedPath(path.join(root ?? appRoot(), 'python', 'libero_bridge', 'worker.py'));
}

/** The interpreter is missing or cannot run, or its LIBERO cannot be found; `field` is `sim`. */
export class LiberoPythonError extends InputError {
  constructor(
    message: string,
    /** What is wrong with the interpreter, as a sentence's end: "was not found", "cannot import LIBERO (...)". */
    readonly reason: string,
  ) {
    super('sim', message);
    this.name = 'LiberoPythonError';
  }
}

export interface PythonRun {
  /** Exit status; null when killed (timeout, abort) or when it never started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not start (ENOENT: no such interpreter; EACCES: not executable), or why it was stopped. */
  failure: { kind: 'spawn'; code: string; message: string } | { kind: 'timeout'; ms: number } | { kind: 'aborted' } | null;
}

const OUTPUT_LIMIT = 1024 * 1024;

/**
 * Runs `python args...` to its end: stdin is /dev/null (LIBERO's first-run prompt reads end of
 * file, never waits), output kept up to 1 MiB each, the process killed after `timeoutMs` or when
 * `signal` aborts. Never rejects: what happened is in the result.
 */
export function runPython(python: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {}): Promise<PythonRun> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let failure: PythonRun['failure'] = null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout, stderr, failure });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(python, [...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, windowsHide: true });
    } catch (thrown) {
      const error = thrown as NodeJS.ErrnoException;
      failure = { kind: 'spawn', code: error.code ?? 'EINVAL', message: error.message };
      finish(null);
      return;
    }
    // Killed, it is done: a subprocess it left holding its output must not keep the caller waiting.
    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(null);
    };
    function onAbort(): void {
      failure ??= { kind: 'aborted' };
      kill();
    }
    timer = setTimeout(() => {
      failure ??= { kind: 'timeout', ms: timeoutMs };
      kill();
    }, timeoutMs);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= { kind: 'spawn', code: error.code ?? 'ERROR', message: error.message };
      finish(null);
    });
    child.on('close', (code) => finish(failure ? null : code));
  });
}

/** Why an interpreter did not run, as a sentence's end: "was not found", "is not executable", ... */
export function pythonFailure(run: PythonRun, timeoutWhat = 'answer'): string | null {
  const f = run.failure;
  if (!f) return null;
  if (f.kind === 'timeout') return `did not ${timeoutWhat} within ${f.ms >= 1000 ? `${Math.round(f.ms / 1000)} s` : `${f.ms} ms`}`;
  if (f.kind === 'aborted') return 'was stopped';
  if (f.code === 'ENOENT') return 'was not found';
  if (f.code === 'EACCES') return 'is not executable';
  return `could not be started (${f.message})`;
}

/**
 * Finds LIBERO's benchmark root without importing it: `importlib.util.find_spec` locates the
 * package without running its __init__, which on a first use creates ~/.libero and asks on stdin
 * where the datasets go.
 */
const FIND_ROOT = [
  'import importlib.util, json, os, sys',
  'try:',
  "    spec = importlib.util.find_spec('libero.libero')",
  'except Exception as e:',
  "    print(json.dumps({'error': type(e).__name__ + ': ' + str(e)})); sys.exit(3)",
  'if spec is None or not spec.origin:',
  "    print(json.dumps({'error': 'No module named libero.libero'})); sys.exit(3)",
  "print(json.dumps({'root': os.path.dirname(os.path.abspath(spec.origin)), 'python': sys.version.split()[0]}))",
].join('\n');

const SETUP_HINT = 'see docs/libero-bridge.md "Connecting LIBERO"';

/**
 * The folder of the interpreter's `libero.libero` package (LIBERO's benchmark root: bddl_files/ and
 * init_files/ are below it, and engine/libero/libero-dir.ts accepts it as a LIBERO folder). Throws a
 * LiberoPythonError naming the interpreter when it is missing, does not answer within `timeoutMs`,
 * or has no LIBERO.
 */
export async function liberoRoot(python: string | LiberoPythonChoice, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  const choice: LiberoPythonChoice = typeof python === 'string' ? { python, origin: 'request' } : python;
  const who = typeof python === 'string' ? `the interpreter ${python}` : describePython(choice);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const run = await runPython(choice.python, ['-c', FIND_ROOT], { ...options, timeoutMs });
  const failed = pythonFailure(run);
  if (failed) throw new LiberoPythonError(`${who} ${failed}; the libero simulator needs a Python with LIBERO installed (${SETUP_HINT})`, failed);
  const answer = lastJsonLine(run.stdout) as { root?: unknown; error?: unknown } | null;
  if (run.code === 0 && typeof answer?.root === 'string') return answer.root;
  const why = typeof answer?.error === 'string' ? answer.error : lastLine(run.stderr) || `exit status ${run.code}`;
  throw new LiberoPythonError(`LIBERO cannot be imported by ${who}: ${why} (${SETUP_HINT})`, `cannot import LIBERO (${why})`);
}

/** The last line of `text` that parses as a JSON object, or null. */
export function lastJsonLine(text: string): unknown {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const value: unknown = JSON.parse(lines[i]!);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // not JSON: noise printed by the interpreter's site packages
    }
  }
  return null;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
