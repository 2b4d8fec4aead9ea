import type { Handlers } from '../host/host.js';
import type { ChecksRunner } from './runner.js';

type ChecksHandlers = Pick<Handlers, 'checks.list' | 'checks.run'>;

export function checksHandlers(runner: ChecksRunner): ChecksHandlers {
  return {
    'checks.list': () => ({ checks: runner.list() }),
    'checks.run': async ({ ids }, ctx) => ({ results: await runner.run(ids, (progress) => ctx.emit('checks.progress', progress)) }),
  };
}
