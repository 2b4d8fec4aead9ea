import { RsdCallError } from './api/errors.js';
import { UsageError } from './commands/args.js';
import { bench } from './commands/bench.js';
import { check } from './commands/check.js';
import { evaluate } from './commands/eval.js';
import { expert } from './commands/expert.js';
import { info } from './commands/info.js';
import { runs } from './commands/runs.js';
import { serve } from './commands/serve.js';
import { APP } from './system/app.js';

const USAGE = `rsd: ${APP.name} ${APP.version}

Usage:
  rsd info [--json]                         versions, machine, execution providers, MuJoCo
  rsd check [--json]                        the prerequisites checklist; exit status 1 if a row fails
  rsd serve [--host 127.0.0.1] [--port N]   the app in a browser, engine in this process
            [--renderer DIR]
  rsd eval [--suite libero_spatial] [--tasks 0-9] [--trials 50]
           [--decoding parallel|autoregressive|speculative]
           [--accept exact|threshold|stochastic] [--threshold 0.7]
           [--ep cpu|webgpu|cuda|auto] [--bundle DIR] [--workers N] [--seed N]
           [--init project|libero] [--libero DIR] [--max-steps N]
           [--out RUNS_DIR] [--resume RUN] [--debug] [--json]
                                            evaluate a bundle in the embedded simulator;
                                            results in <data dir>/runs/<run>/ (or --out)
  rsd expert [--suite libero_spatial] [--tasks 0-9] [--trials 50] [--workers N]
             [--init eval|demo|libero] [--libero DIR] [--record DIR]
             [--noise 0,0.1,0.2] [--policy DIR]... [--policy-decoding D]
             [--no-clean] [--seed N] [--json]
                                            the scripted expert: success per task; --record
                                            writes demonstrations (default pool: demo);
                                            --noise: one episode per level with DART noise
                                            on the executed actions; --policy: one episode
                                            per bundle, which drives the arm in bursts
                                            (DAgger-style); --no-clean: policy episodes only
  rsd bench sim [--task N] [--steps N] [--json]
                                            env.step against 25 bare mj_step calls, same run
  rsd bench engine [--bundle DIR] [--ep cpu|webgpu|cuda|auto] [--small-ep cpu]
                   [--chunks N] [--threads N] [--json]
                                            decoding strategies on one bundle, same run
  rsd runs list [--runs DIR] [--json]       the runs, newest first (default DIR: <data dir>/runs)
  rsd runs show RUN [--runs DIR] [--json]   configuration, success with Wilson 95% intervals,
                                            latency, acceptance, errors (so far, if unfinished)
  rsd runs export RUN FILE [--runs DIR] [--json]
                                            a run's results.json to FILE
  rsd runs import FILE [--runs DIR] [--json]
                                            a results file as a new run; exit 1 if it is invalid
  rsd runs compare RUN_A RUN_B [--runs DIR] [--json]
                                            paired success (McNemar), latency and acceptance
  rsd bench eval [--bundle DIR] [--episodes 8] [--workers N] [--decoding D]
                 [--long-episodes 8N] [--max-steps N] [--json]
                                            the runner against a bare loop, then N workers
                                            over a long run (throughput, peak RSS), same run
  rsd help

Exit status: 0 on success, 1 on failure, 2 on a usage error.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  info,
  check,
  eval: evaluate,
  expert,
  serve,
  bench,
  runs,
  help: async () => {
    process.stdout.write(USAGE + '\n');
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  if (name === '--version') {
    process.stdout.write(`${APP.version}\n`);
    return 0;
  }
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`);
    return await command(rest);
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      process.stderr.write(`rsd ${name}: ${thrown.message}\n\n${USAGE}\n`);
      return 2;
    }
    const text = thrown instanceof RsdCallError ? `${thrown.error.kind}: ${thrown.message}` : thrown instanceof Error ? thrown.stack : String(thrown);
    process.stderr.write(`rsd ${name}: ${text}\n`);
    return 1;
  }
}
