import { createWriteStream, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeDemo } from '../expert/demos.js';
import { loadPerturbingPolicy } from '../expert/policy-perturbation.js';
import { runExpertSuite, type ExpertSuiteReport, type InitSource, type PolicySpec } from '../expert/suite.js';
import { STRATEGIES, type Strategy } from '../decoding/record.js';
import { boundedWorkers, checkTrials, checkWorkers, suiteTaskCount } from '../eval/bounds.js';
import { EvalError } from '../eval/errors.js';
import { InputError } from '../util/input-error.js';
import { intFlag, parse, print, UsageError } from './args.js';

/**
 * `0-9`, `0,3,5`, `2`: task ids of `suite`, sorted, each once. An id or a range that leaves the
 * suite is refused before any id is listed (a range such as 0-99999999 would otherwise build a
 * set of a hundred million).
 */
export function parseTaskList(text: string | undefined, suite: string): number[] | undefined {
  if (text === undefined) return undefined;
  const { suite: name, count } = suiteTaskCount(suite);
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) throw new UsageError(`--tasks: expected ids such as 0-9 or 0,3,5, got "${text}"`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from) throw new UsageError(`--tasks: range ${part} runs backwards`);
    if (to >= count) throw new EvalError('tasks', `${name} has tasks 0-${count - 1}; ${range[2] === undefined ? `${part.trim()} is not one of them` : `the range ${part.trim()} leaves them`}`);
    ranges.push([from, to]);
  }
  const ids = new Set<number>();
  for (const [from, to] of ranges) for (let i = from; i <= to; i++) ids.add(i);
  return [...ids].sort((a, b) => a - b);
}

/** `--noise 0,0.1,0.2`: perturbation levels, each initial state runs once per level. */
export function parseNoise(text: string | undefined): number[] {
  if (text === undefined) return [0];
  const levels = text.split(',').map((part) => Number(part.trim()));
  if (levels.length === 0 || levels.some((v) => !Number.isFinite(v) || v < 0 || v > 1) || text.trim() === '') {
    throw new UsageError(`--noise: expected stds in [0, 1] separated by commas, such as 0,0.1,0.2, got "${text}"`);
  }
  return levels;
}

/**
 * `rsd expert`: the scripted expert on a suite, across worker threads. With --record DIR it writes
 * every episode's observations and actions (demonstrations.jsonl, one episode per line; see
 * engine/expert/demos.ts), from the demonstration pool of initial states unless --init says otherwise.
 * --noise L1,L2,... runs each initial state once per level with DART-style noise of that std on the
 * executed actions (0: none), recording the expert's own actions (engine/expert/perturbation.ts).
 * --policy DIR (repeatable) also runs each initial state once per bundle, that policy driving the
 * arm in bursts (engine/expert/policy-perturbation.ts); --no-clean leaves out the noise levels
 * (the clean run too), for a recording of policy-perturbed episodes alone.
 */
export async function expert(args: string[]): Promise<number> {
  const { values } = parse(args, {
    suite: { type: 'string' },
    tasks: { type: 'string' },
    trials: { type: 'string' },
    workers: { type: 'string' },
    init: { type: 'string' },
    libero: { type: 'string' },
    record: { type: 'string' },
    noise: { type: 'string' },
    seed: { type: 'string' },
    policy: { type: 'string', multiple: true },
    'policy-decoding': { type: 'string' },
    'no-clean': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const suite = values.suite ?? 'libero_spatial';
  const tasks = parseTaskList(values.tasks, suite);
  // The run's bounds (engine/eval/bounds.ts), as `rsd eval` and the app apply them.
  const trials = checkTrials(intFlag('trials', values.trials, 50, 1));
  const workers = values.workers === undefined ? boundedWorkers(os.availableParallelism()) : checkWorkers(intFlag('workers', values.workers, 1, 1));
  if (values['no-clean'] && !values.policy?.length) throw new UsageError('--no-clean leaves only policy-perturbed episodes: give --policy DIR');
  const init = values.init ?? (values.record ? 'demo' : 'eval');
  const source: InitSource =
    init === 'libero' ? { kind: 'libero', ...(values.libero ? { dir: values.libero } : {}) }
    : init === 'eval' || init === 'demo' ? { kind: 'project', split: init }
    : (() => {
        throw new UsageError(`--init: expected eval, demo or libero, got "${init}"`);
      })();
  const recordFile = values.record ? path.join(values.record, 'demonstrations.jsonl') : undefined;
  if (values.record) {
    try {
      mkdirSync(values.record, { recursive: true });
    } catch (error) {
      throw new InputError('record', `cannot create the folder ${values.record}: ${(error as Error).message}`);
    }
  }
  const out = recordFile ? createWriteStream(recordFile, { flags: 'w' }) : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const tty = process.stderr.isTTY && !values.json;
  const report = await runExpertSuite({
    suite,
    tasks,
    trials,
    workers,
    initSource: source,
    noise: values['no-clean'] ? [] : parseNoise(values.noise),
    policies: await policySpecs(values.policy ?? [], values['policy-decoding']),
    seed: intFlag('seed', values.seed, 0, 0, 2 ** 32 - 1),
    record: Boolean(out),
    signal: controller.signal,
    onResult(run, { done, total }) {
      // Appended as each episode finishes, so an interrupted recording keeps what it has.
      if (out && run.demo) out.write(encodeDemo(run.demo) + '\n');
      if (tty) process.stderr.write(`\r  ${done}/${total} episodes`);
    },
  });
  if (tty) process.stderr.write('\n');
  await new Promise<void>((resolve) => (out ? out.end(resolve) : resolve()));
  const { runs, ...summary } = report;
  print(values.json, { ...summary, recorded: recordFile ?? null, episodes: runs.map((r) => r.result) }, () => formatExpert(report, recordFile));
  return report.cancelled ? 1 : 0;
}

/**
 * `--policy DIR` (repeatable): bundles that drive the arm in bursts, each checked here (loaded
 * once) so that a bad folder fails before any episode runs; `--policy-decoding` for all of them.
 */
async function policySpecs(dirs: readonly string[], decoding: string | undefined): Promise<PolicySpec[]> {
  if (decoding !== undefined && !(STRATEGIES as readonly string[]).includes(decoding)) {
    throw new UsageError(`--policy-decoding: expected one of ${STRATEGIES.join(', ')}, got "${decoding}"`);
  }
  if (decoding !== undefined && dirs.length === 0) throw new UsageError('--policy-decoding needs --policy DIR');
  const specs: PolicySpec[] = [];
  for (const dir of dirs) {
    const bundle = path.resolve(dir);
    const policy = await loadPerturbingPolicy(bundle, decoding as Strategy | undefined).catch((error: Error) => {
      throw error instanceof InputError ? new InputError('policy', `--policy ${dir}: ${error.message}`) : error;
    });
    specs.push({ bundle, decoding: policy.strategy });
    await policy.close();
  }
  return specs;
}

function formatExpert(r: ExpertSuiteReport, recorded: string | undefined): string {
  const lines = [`rsd expert: ${r.suite}, ${r.initSource}, ${r.workers} workers, ${(r.wallMs / 1000).toFixed(1)} s${r.cancelled ? ' (cancelled)' : ''}`];
  lines.push('  task  success           failures errors  mean steps  name');
  let successes = 0;
  let trials = 0;
  for (const t of r.perTask) {
    successes += t.successes;
    trials += t.trials;
    lines.push(`  ${String(t.taskId).padStart(4)}  ${`${t.successes}/${t.trials} (${(100 * t.successRate).toFixed(1)}%)`.padEnd(17)} ${String(t.failures).padStart(8)} ${String(t.errors).padStart(6)}  ${t.meanSteps.toFixed(1).padStart(10)}  ${t.name}`);
  }
  lines.push(`  total ${successes}/${trials} (${((100 * successes) / Math.max(1, trials)).toFixed(1)}%)`);
  if (recorded) lines.push(`  recorded: ${recorded}`);
  return lines.join('\n');
}
