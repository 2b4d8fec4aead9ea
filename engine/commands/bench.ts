import { formatSimBench, runSimBench } from '../bench/sim-bench.js';
import { intFlag, parse, print, UsageError } from './args.js';

/** `rsd bench <what>`: each benchmark prints ratios against a baseline measured in the same run. */
export async function bench(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'sim') {
    const { values } = parse(rest, { json: { type: 'boolean' }, task: { type: 'string' }, steps: { type: 'string' } });
    const report = await runSimBench({ task: intFlag('task', values.task, 0, 0, 9), steps: intFlag('steps', values.steps, 400, 20) });
    print(values.json, report, () => formatSimBench(report));
    return 0;
  }
  throw new UsageError(what ? `unknown benchmark "${what}"; benchmarks: sim` : 'which benchmark? benchmarks: sim');
}
