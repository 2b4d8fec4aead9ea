import type { Handlers } from '../host/host.js';
import { latestReport } from './store.js';

/** The `fidelity.latest` request: the newest report in `dir` (`<data dir>/fidelity`), as an overview. */
export function fidelityHandlers(dir: string): Pick<Handlers, 'fidelity.latest'> {
  return {
    'fidelity.latest': () => latestReport(dir),
  };
}
