import path from 'node:path';
import { RsdCallError } from './api/errors.js';
import { suggest, UsageError } from './commands/args.js';
import { bench } from './commands/bench.js';
import { check } from './commands/check.js';
import { evaluate } from './commands/eval.js';
import { expert } from './commands/expert.js';
import { fidelity } from './commands/fidelity.js';
import { info } from './commands/info.js';
import { render } from './commands/render.js';
import { runs } from './commands/runs.js';
import { serve } from './commands/serve.js';
import { APP } from './system/app.js';
import { InputError } from './util/input-error.js';
import { terminalText } from './util/terminal-text.js';

const USAGE = `rsd: ${APP.name} ${APP.version}

Usage:
  rsd info [--json]                         versions, machine, execution providers, MuJoCo
  rsd check [--json]                        the prerequisites checklist; exit status 1 if a row fails
  rsd serve [--host 127.0.0.1] [--port N]   the app in a browser, engine in this process
            [--renderer DIR]
  rsd eval [--suite libero_spatial] [--tasks 0-9] [--trials 50]
           [--decoding parallel|autoregressive|speculative]
           [--accept exact|threshold|stochastic] [--threshold 0.7] [--layers D]
           [--ep cpu|webgpu|cuda|auto] [--bundle DIR] [--workers N] [--seed N]
           [--policy ws://HOST:PORT [--profile openpi-libero|rsd-server|FILE]
            [--api-key-env VAR] [--policy-timeout MS]]
           [--sim embedded|libero] [--python PATH] [--physics wasm|native|auto]
           [--init project|libero] [--libero DIR] [--max-steps N]
           [--record-cameras agentview,robot0_eye_in_hand[:SIZE]]
           [--out RUNS_DIR] [--resume RUN] [--debug] [--json]
                                            evaluate a bundle, or a policy server speaking
                                            openpi's protocol (--policy; profile default from
                                            the server's metadata; --api-key-env: the variable
                                            holding its key), in the embedded simulator, or
                                            in real LIBERO with --sim libero (a Python worker;
                                            --python: its interpreter, default the settings',
                                            $RSD_LIBERO_PYTHON, else python3; initial states
                                            LIBERO's own); results in <data dir>/runs/<run>/
                                            (or --out); --record-cameras: camera images kept
                                            for Replay, any policy (SIZE 128 by default);
                                            --layers D: decode only the first D of the
                                            bundle's RFSQ layers (autoregressive and
                                            speculative; the rest add nothing);
                                            --physics: the embedded simulator's MuJoCo build
                                            (default wasm or $RSD_PHYSICS; auto: native where
                                            it loads, docs/architecture.md)
  rsd expert [--suite libero_spatial] [--tasks 0-9] [--trials 50] [--workers N]
             [--init eval|demo|libero] [--libero DIR] [--record DIR]
             [--noise 0,0.1,0.2] [--policy DIR]... [--policy-decoding D]
             [--no-clean] [--seed N] [--order task|interleaved]
             [--time-limit S] [--cameras agentview,robot0_eye_in_hand]
             [--render-size 128] [--image-size 64]
             [--orientation upright|rot180] [--center-crop F]
             [--physics wasm|native|auto] [--json]
                                            the scripted expert: success per task; --record
                                            writes demonstrations (default pool: demo);
                                            --noise: one episode per level with DART noise
                                            on the executed actions; --policy: one episode
                                            per bundle, which drives the arm in bursts
                                            (DAgger-style); --no-clean: policy episodes only;
                                            --cameras: each step's images too, as a policy's
                                            tensors (.npy per episode); --order interleaved
                                            with --time-limit: a recording stopped at a
                                            deadline covers every task evenly
  rsd fidelity [--suite libero_spatial] [--tasks 0-9] [--trials 10]
               [--sources expert,bundle] [--fixtures default,reference]
               [--sim libero|embedded] [--python PATH] [--libero DIR] [--bundle DIR]
               [--max-steps N] [--runs EMBEDDED_RUN LIBERO_RUN] [--json]
                                            the embedded simulator against real LIBERO: the
                                            expert's and the bundle's actions from LIBERO's
                                            initial states replayed in both; EEF and object
                                            divergence, success agreement per task; --runs:
                                            two eval runs' success, paired (McNemar); report
                                            in <data dir>/fidelity/ (--sim embedded: self-check)
  rsd render [--sim embedded|libero] [--python PATH] [--compare]
             [--suite libero_spatial] [--task 0] [--init 0] [--states libero|project]
             [--libero DIR] [--cameras agentview,robot0_eye_in_hand] [--size 128]
             [--out DIR] [--json]
                                            the cameras' first frame of an episode (initial
                                            state --init of task --task, after the 10 wait
                                            steps) as PNGs in --out (default: here); --compare:
                                            the embedded simulator and real LIBERO from the
                                            same state, a figure per camera (embedded | LIBERO
                                            | difference), mean absolute difference and pixels
                                            within 16 levels; --states: LIBERO's init files
                                            (default with libero) or the project's (embedded)
  rsd bench sim [--task N] [--steps N] [--camera-size PX (128; 0: no cameras)] [--json]
                [--physics wasm|native|auto] [--compare-tasks 0-9|none] [--compare-steps N]
                [--pruning-tasks 0-9|none] [--pruning-steps N]
                                            env.step against 25 bare mj_step calls, same run;
                                            then wasm against native MuJoCo 3.14.0 on the same
                                            scenes and states (where the native addon loads);
                                            then the old scene against the contact-pruned one
                                            per task, same states, alternating blocks
  rsd bench engine [--bundle DIR] [--ep cpu|webgpu|cuda|auto] [--small-ep cpu]
                   [--chunks N] [--threads N] [--layers 2,3,4] [--json]
                                            decoding strategies on one bundle, same run;
                                            --layers: autoregressive and speculative exact
                                            decoding only the first D layers, per depth;
                                            the parallel twin (DIR-parallel) as an arm
  rsd runs list [--runs DIR] [--json]       the runs, newest first (default DIR: <data dir>/runs)
  rsd runs show RUN [--runs DIR] [--json]   configuration, success with Wilson 95% intervals,
                                            latency, acceptance, errors (so far, if unfinished)
  rsd runs export RUN FILE [--runs DIR] [--json]
                                            a run's results.json to FILE (its folder must exist)
  rsd runs import FILE [--runs DIR] [--json]
                                            a results file as a new run; exit 2 if it is invalid
  rsd runs compare RUN_A RUN_B [--runs DIR] [--json]
                                            paired success (McNemar), latency and acceptance
  rsd bench eval [--bundle DIR] [--episodes 8] [--workers N] [--decoding D]
                 [--max-steps N] [--fixed-rounds 3] [--physics wasm|native|auto] [--json]
                                            the same episodes by a bare loop, the runner with
                                            1 and N workers (steps/s, ratios), then a run's
                                            fixed cost in fresh processes, before and after
  rsd bench bridge [--python PATH] [--task N] [--steps 200] [--json]
                                            real LIBERO's env.step through the bridge against
                                            the same calls timed inside Python, same run
  rsd bench remote [--chunks 500] [--warmup 50] [--json]
                                            the remote policy client's cost per chunk (two
                                            224x224 images) against an echo server in a
                                            worker thread, and the raw WebSocket, same run
  rsd bench served --policy ws://HOST:PORT [--profile P] [--bundle DIR]
                   [--episodes 100] [--workers N] [--max-steps N] [--json]
                                            a bundle in-process against the same weights on a
                                            policy server: codes on the same observations,
                                            then paired outcomes, same run
  rsd help [COMMAND]                        this text, or one command's part of it

Every command also takes --verbose: on an error, the stack trace too.
Exit status: 0 on success; 2 when a flag, argument or input file cannot be used (one line on
stderr names it and says what is allowed); 1 on any other failure (one line on stderr).`;

type Command = (args: string[]) => Promise<number>;

interface CommandSpec {
  run: Command;
  /** Subcommands, named in error lines (`rsd runs show: ...`). */
  subcommands?: readonly string[];
  /**
   * The flag that gives each engine option, so that an error naming the option (InputError's
   * field) names the flag the user typed.
   */
  flags?: Readonly<Record<string, string>>;
}

const EVAL_FLAGS = {
  suite: '--suite',
  tasks: '--tasks',
  task: '--tasks',
  trials: '--trials',
  seed: '--seed',
  decoding: '--decoding',
  accept: '--accept',
  threshold: '--threshold',
  layers: '--layers',
  ep: '--ep',
  bundle: '--bundle',
  bundleDir: '--bundle',
  policy: '--policy',
  profile: '--profile',
  apiKey: '--api-key-env',
  timeoutMs: '--policy-timeout',
  workers: '--workers',
  out: '--out',
  runsRoot: '--out',
  run: '--resume',
  resume: '--resume',
  init: '--init',
  initStates: '--init',
  libero: '--libero',
  maxSteps: '--max-steps',
  sim: '--sim',
  simulator: '--sim',
  physics: '--physics',
  python: '--python',
};
const EXPERT_FLAGS = { physics: '--physics', suite: '--suite', tasks: '--tasks', task: '--tasks', trials: '--trials', workers: '--workers', init: '--init', initStates: '--init', libero: '--libero', record: '--record', noise: '--noise', seed: '--seed' };
const BENCH_FLAGS = { physics: '--physics', python: '--python', bundle: '--bundle', bundleDir: '--bundle', ep: '--ep', smallModelsEp: '--small-ep', task: '--task', decoding: '--decoding', workers: '--workers', maxSteps: '--max-steps', layers: '--layers' };
const FIDELITY_FLAGS = {
  suite: '--suite',
  tasks: '--tasks',
  task: '--tasks',
  trials: '--trials',
  sources: '--sources',
  fixtures: '--fixtures',
  sim: '--sim',
  simulator: '--sim',
  python: '--python',
  libero: '--libero',
  initStates: '--libero',
  bundle: '--bundle',
  bundleDir: '--bundle',
  maxSteps: '--max-steps',
  runs: '--runs',
  run: '--runs',
};

const RENDER_FLAGS = { suite: '--suite', task: '--task', init: '--init', libero: '--libero', sim: '--python', out: '--out' };

const commands: Record<string, CommandSpec> = {
  info: { run: info },
  check: { run: check },
  eval: { run: evaluate, flags: EVAL_FLAGS },
  expert: { run: expert, flags: EXPERT_FLAGS },
  fidelity: { run: fidelity, flags: FIDELITY_FLAGS },
  render: { run: render, flags: RENDER_FLAGS },
  serve: { run: serve },
  bench: { run: bench, subcommands: ['sim', 'engine', 'eval', 'bridge', 'remote'], flags: BENCH_FLAGS },
  runs: { run: runs, subcommands: ['list', 'show', 'export', 'import', 'compare'], flags: { runsRoot: '--runs' } },
  help: { run: help },
};

async function help(args: string[]): Promise<number> {
  if (args.length > 1) throw new UsageError(`expected at most one command, got "${args.join(' ')}"`);
  const name = args[0];
  if (name === undefined) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!commands[name]) throw unknownCommand(name);
  process.stdout.write(usageOf(name) + '\n');
  return 0;
}

/** The usage lines of one command: each `  rsd NAME ...` entry with its continuation lines. */
export function usageOf(name: string): string {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const entry = /^ {2}rsd (\S+)/.exec(line);
    if (entry) inside = entry[1] === name;
    else if (!line.startsWith('   ')) inside = false;
    if (inside) out.push(line);
  }
  return ['Usage:', ...out, '', 'Every command also takes --verbose: on an error, the stack trace too.'].join('\n');
}

function unknownCommand(name: string): UsageError {
  return new UsageError(`unknown command "${name}"; ${suggest(name, Object.keys(commands), 'commands')}`);
}

/**
 * Runs one command. Errors end as one line on stderr, `rsd COMMAND: ...`: a usage error or an
 * input error (InputError and its subclasses: a flag, file or field that cannot be used) exits
 * with status 2, anything else with 1. `--verbose`, anywhere in the arguments, adds the stack.
 * With `--json`, the error is also written to stdout as `{"error": {kind, field, message}}`.
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [name = 'help', ...rest] = argv.filter((a) => a !== '--verbose');
  if (name === '--version') {
    process.stdout.write(`${APP.version}\n`);
    return 0;
  }
  const spec = commands[name === '--help' || name === '-h' ? 'help' : name];
  const sub = spec?.subcommands?.includes(rest[0] ?? '') ? rest[0] : undefined;
  const label = spec ? `rsd ${name}${sub ? ` ${sub}` : ''}` : 'rsd';
  try {
    if (!spec) throw unknownCommand(name);
    return await spec.run(rest);
  } catch (thrown) {
    const input = asInputError(thrown);
    let line: string;
    let code = 1;
    if (thrown instanceof UsageError) {
      const hint = /\busage: /.test(thrown.message) ? '' : ` (run "rsd help${spec && name !== 'help' ? ` ${name}` : ''}" for usage)`;
      line = `${thrown.message}${hint}`;
      code = 2;
    } else if (input) {
      line = inputLine(input, spec?.flags ?? {}, rest);
      code = 2;
    } else if (thrown instanceof RsdCallError) {
      line = `${thrown.error.kind}: ${thrown.message}`;
    } else {
      line = thrown instanceof Error ? thrown.message || thrown.name : String(thrown);
    }
    process.stderr.write(`${label}: ${terminalText(oneLine(line))}\n`);
    if (verbose) process.stderr.write(`${thrown instanceof Error ? (thrown.stack ?? String(thrown)) : String(thrown)}\n`);
    if (rest.includes('--json')) {
      const kind = thrown instanceof Error ? thrown.name : typeof thrown;
      process.stdout.write(JSON.stringify({ error: { kind, field: input?.field ?? null, message: thrown instanceof Error ? thrown.message : String(thrown) } }, null, 2) + '\n');
    }
    return code;
  }
}

/** An InputError (EvalError and the engine's other input errors extend it). */
function asInputError(thrown: unknown): { field: string; message: string } | null {
  return thrown instanceof InputError ? thrown : null;
}

/** Newlines (a message quoting a file, an onnxruntime report) would break the one line; other controls are escaped (terminalText). */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * An input error's line, naming the input as the user typed it: the flag that gives the option at
 * fault (`--tasks: ...`), with its value when the message does not show it; for a file inside a
 * folder given by a flag, that flag and folder (`--bundle DIR: bundle.json: ...`); else the
 * message, with the file's path after it when the message does not name it.
 */
export function inputLine(error: { field: string; message: string }, flags: Readonly<Record<string, string>>, args: readonly string[]): string {
  const { field, message } = error;
  const values = flagValues(args);
  const flag = flags[field] ?? (field.startsWith('--') ? field : undefined);
  if (flag) {
    if (message.startsWith(`${flag} `) || message.startsWith(`${flag}:`)) return message;
    const value = values.find(([f]) => f === flag)?.[1];
    return `${value !== undefined && !message.includes(value) ? `${flag} ${value}` : flag}: ${message}`;
  }
  if (field.includes('/') || field.includes(path.sep)) {
    const file = path.resolve(field);
    const under = values
      .filter(([, value]) => value !== '' && (file === path.resolve(value) || file.startsWith(path.resolve(value) + path.sep)))
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (under) return `${under[0]} ${under[1]}: ${message}`;
    if (!message.includes(field)) return `${message} (${field})`;
  }
  return message;
}

/** `--flag value` and `--flag=value` pairs, in order. */
function flagValues(args: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) pairs.push([arg.slice(0, eq), arg.slice(eq + 1)]);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) pairs.push([arg, args[i + 1]!]);
  }
  return pairs;
}
