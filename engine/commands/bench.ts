import { formatEngineBench, runEngineBench } from '../bench/engine-bench.js';
import { formatEvalBench, runEvalBench } from '../bench/eval-bench.js';
import { formatPruningBench, formatSimBench, runPruningBench, runSimBench } from '../bench/sim-bench.js';
import { parseTaskList } from './expert.js';
import { formatBridgeBench, runBridgeBench } from '../bench/bridge-bench.js';
import { formatRemoteBench, runRemoteBench } from '../bench/remote-bench.js';
import { formatServedBench, runServedBench } from '../bench/served-bench.js';
import { SettingsStore } from '../settings/store.js';
import { settingsFile } from '../settings/paths.js';
import { liberoPython } from '../sim/libero/python.js';
import os from 'node:os';
import { STRATEGIES, type Strategy } from '../decoding/record.js';
import { EXECUTION_PROVIDER_REQUESTS, type ExecutionProvider, type ExecutionProviderRequest } from '../bundle/bundle.js';
import { boundedWorkers, checkMaxSteps, checkWorkers } from '../eval/bounds.js';
import { intFlag, parse, print, suggest, UsageError } from './args.js';
import { physicsFlag } from './physics-flag.js';

/** parseTaskList's ids, its errors naming this flag. */
function pruningTaskList(text: string | undefined): number[] | undefined {
  try {
    return parseTaskList(text, 'libero_spatial');
  } catch (error) {
    if (error instanceof Error) throw new UsageError(`--pruning-tasks: ${error.message.replace(/^--tasks: /, '')} (or none)`);
    throw error;
  }
}

/** `rsd bench <what>`: each benchmark prints ratios against a baseline measured in the same run. */
export async function bench(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'sim') {
    const { values } = parse(rest, {
      json: { type: 'boolean' },
      task: { type: 'string' },
      steps: { type: 'string' },
      'camera-size': { type: 'string' },
      physics: { type: 'string' },
      'compare-tasks': { type: 'string' },
      'compare-steps': { type: 'string' },
      'pruning-tasks': { type: 'string' },
      'pruning-steps': { type: 'string' },
    });
    const task = intFlag('task', values.task, 0, 0, 9);
    const compareTasks = values['compare-tasks'] === 'none' ? [] : (parseTaskList(values['compare-tasks'], 'libero_spatial') ?? [task]);
    // Issue 20's arm: old against pruned scene per task (`--pruning-tasks none` leaves it out).
    const pruningTasks = values['pruning-tasks'] === 'none' ? [] : (pruningTaskList(values['pruning-tasks']) ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const pruningSteps = intFlag('pruning-steps', values['pruning-steps'], 100, 20);
    const report = await runSimBench({
      task,
      steps: intFlag('steps', values.steps, 400, 20),
      cameraSize: intFlag('camera-size', values['camera-size'], 128, 0, 1024),
      physics: await physicsFlag(values.physics),
      compareTasks,
      ...(values['compare-steps'] !== undefined ? { compareSteps: intFlag('compare-steps', values['compare-steps'], 400, 20) } : {}),
    });
    const pruning = pruningTasks.length > 0 ? await runPruningBench({ tasks: pruningTasks, steps: pruningSteps }) : null;
    print(values.json, { ...report, pruning }, () => [formatSimBench(report), ...(pruning ? [formatPruningBench(pruning)] : [])].join('\n'));
    return 0;
  }
  if (what === 'engine') {
    const { values } = parse(rest, {
      json: { type: 'boolean' },
      bundle: { type: 'string' },
      ep: { type: 'string' },
      chunks: { type: 'string' },
      warmup: { type: 'string' },
      seed: { type: 'string' },
      threads: { type: 'string' },
      threshold: { type: 'string' },
      layers: { type: 'string' },
      'small-ep': { type: 'string' },
    });
    const ep = (values.ep ?? 'cpu') as ExecutionProviderRequest;
    if (!EXECUTION_PROVIDER_REQUESTS.includes(ep)) throw new UsageError(`--ep: expected one of ${EXECUTION_PROVIDER_REQUESTS.join(', ')}, got "${values.ep}"`);
    const smallEp = values['small-ep'] as ExecutionProvider | undefined;
    if (smallEp !== undefined && !['cpu', 'webgpu', 'cuda'].includes(smallEp)) throw new UsageError(`--small-ep: expected cpu, webgpu or cuda, got "${smallEp}"`);
    const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
    if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) throw new UsageError(`--threshold: expected a number in (0, 1], got "${values.threshold}"`);
    const report = await runEngineBench({
      bundleDir: values.bundle,
      ep,
      chunks: intFlag('chunks', values.chunks, 200, 10),
      warmup: intFlag('warmup', values.warmup, 20, 0),
      seed: intFlag('seed', values.seed, 7, 0),
      threads: values.threads === undefined ? undefined : intFlag('threads', values.threads, 1, 1, 256),
      threshold,
      ...(values.layers !== undefined ? { layers: depthList(values.layers) } : {}),
      smallModelsEp: smallEp,
    });
    // The text report shows its warnings beside the figures; with --json, stderr says them too.
    if (values.json) for (const w of report.warnings) process.stderr.write(`rsd bench engine: warning: ${w}\n`);
    print(values.json, report, () => formatEngineBench(report));
    return 0;
  }
  if (what === 'eval') {
    const { values } = parse(rest, { json: { type: 'boolean' }, bundle: { type: 'string' }, episodes: { type: 'string' }, workers: { type: 'string' }, decoding: { type: 'string' }, 'max-steps': { type: 'string' }, 'fixed-rounds': { type: 'string' }, physics: { type: 'string' } });
    if (values.decoding !== undefined && !STRATEGIES.includes(values.decoding as Strategy)) throw new UsageError(`--decoding: expected one of ${STRATEGIES.join(', ')}, got "${values.decoding}"`);
    const report = await runEvalBench({
      bundleDir: values.bundle,
      episodes: intFlag('episodes', values.episodes, 8, 1),
      // The run's bounds (engine/eval/bounds.ts) checked before the bare loop runs; the resolver applies them again.
      workers: values.workers === undefined ? boundedWorkers(os.availableParallelism()) : checkWorkers(intFlag('workers', values.workers, 1, 1)),
      decoding: values.decoding as Strategy | undefined,
      fixedRounds: intFlag('fixed-rounds', values['fixed-rounds'], 3, 0, 20),
      maxSteps: values['max-steps'] === undefined ? undefined : checkMaxSteps(intFlag('max-steps', values['max-steps'], 220, 1), 'libero_spatial'),
      physics: await physicsFlag(values.physics),
    });
    print(values.json, report, () => formatEvalBench(report));
    return 0;
  }
  if (what === 'bridge') {
    const { values } = parse(rest, { json: { type: 'boolean' }, python: { type: 'string' }, task: { type: 'string' }, steps: { type: 'string' } });
    const python = values.python ?? liberoPython(await new SettingsStore(settingsFile()).forRuns());
    const report = await runBridgeBench({ python, task: intFlag('task', values.task, 0, 0, 9), steps: intFlag('steps', values.steps, 200, 10) });
    print(values.json, report, () => formatBridgeBench(report));
    return 0;
  }
  if (what === 'remote') {
    const { values } = parse(rest, { json: { type: 'boolean' }, chunks: { type: 'string' }, warmup: { type: 'string' } });
    const report = await runRemoteBench({ chunks: intFlag('chunks', values.chunks, 500, 10), warmup: intFlag('warmup', values.warmup, 50, 0) });
    print(values.json, report, () => formatRemoteBench(report));
    return 0;
  }
  if (what === 'served') {
    const { values } = parse(rest, { json: { type: 'boolean' }, policy: { type: 'string' }, profile: { type: 'string' }, bundle: { type: 'string' }, episodes: { type: 'string' }, workers: { type: 'string' }, 'max-steps': { type: 'string' } });
    if (!values.policy || !/^wss?:\/\/[^\s/]+/.test(values.policy)) throw new UsageError('--policy: the server to compare against, a ws:// address such as ws://127.0.0.1:8000');
    const report = await runServedBench(
      {
        url: values.policy,
        profile: values.profile,
        bundleDir: values.bundle,
        episodes: intFlag('episodes', values.episodes, 100, 1, 500),
        workers: values.workers === undefined ? undefined : checkWorkers(intFlag('workers', values.workers, 1, 1)),
        maxSteps: values['max-steps'] === undefined ? undefined : checkMaxSteps(intFlag('max-steps', values['max-steps'], 220, 1), 'libero_spatial'),
      },
      (line) => process.stderr.write(`rsd bench served: ${line}\n`),
    );
    print(values.json, report, () => formatServedBench(report));
    return 0;
  }
  throw new UsageError(what ? `unknown benchmark "${what}"; ${suggest(what, ['sim', 'engine', 'eval', 'bridge', 'remote', 'served'], 'benchmarks')}` : 'which benchmark? benchmarks: sim, engine, eval, bridge, remote, served');
}

/** `--layers 2,3,4`: depths (the bench checks them against the bundle's layers). */
function depthList(text: string): number[] {
  const items = text.split(',').map((x) => x.trim());
  const depths = items.map(Number);
  if (items.some((x) => !/^\d+$/.test(x)) || depths.some((d) => d < 1)) throw new UsageError(`--layers: expected a comma-separated list of depths such as 2,3,4, got "${text}"`);
  if (new Set(depths).size !== depths.length) throw new UsageError(`--layers: "${text}" lists a depth twice`);
  return depths;
}
