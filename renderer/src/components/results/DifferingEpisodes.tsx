import type { Comparison, DifferingEpisode } from '../../../../engine/api/schemas/comparison.js';
import { formatAddress } from '../../store/address.js';

/**
 * The paired episodes whose outcome differs between A and B, each with a way into the side-by-side
 * replay of its initial state in both runs (the Replay page's `compare` address, built there).
 */

/** The side-by-side replay's address: `#/replay?run=A&compare=B&task=T&trial=N`. */
export function sideBySideAddress(t: { runId: string; compareRunId: string; taskId: number; trial: number }): string {
  return formatAddress({ page: 'replay', run: t.runId, compare: t.compareRunId, task: t.taskId, trial: t.trial });
}

const ended = (s: DifferingEpisode['a']) => (s.outcome === 'success' ? `success at step ${s.steps}` : s.outcome === 'failure' ? `failure after ${s.steps} steps` : `error at step ${s.steps}`);

/** Why an episode cannot be replayed side by side, or null. */
function notReplayable(d: DifferingEpisode): string | null {
  const missing = [!d.a.trajectory && 'A', !d.b.trajectory && 'B'].filter(Boolean);
  if (missing.length === 0) return null;
  return `Run ${missing.join(' and ')} kept no trajectory of this episode (an imported run has none).`;
}

export function DifferingEpisodes({ c, a, b }: { c: Comparison; a: string; b: string }) {
  if (c.differing.length === 0) {
    return (
      <p className="muted" data-testid="differing-none">
        No paired episode’s outcome differs
        {c.paired === 0 ? ': the runs have no paired episodes (no task and trial ran from the same initial state in both).' : ` (all ${c.paired} paired episodes ended alike in A and B).`}
      </p>
    );
  }
  return (
    <table className="data-table differing-episodes" aria-label="Paired episodes whose outcome differs">
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col" className="num">Trial</th>
          <th scope="col" className="num">Initial state</th>
          <th scope="col">A</th>
          <th scope="col">B</th>
          <th scope="col">Replay</th>
        </tr>
      </thead>
      <tbody>
        {c.differing.map((d) => {
          const why = notReplayable(d);
          return (
            <tr key={`${d.taskId}/${d.trial}`} data-testid={`differing-${d.taskId}-${d.trial}`}>
              <th scope="row">Task {d.taskId}</th>
              <td className="num">{d.trial}</td>
              <td className="num">{d.initIndex}</td>
              <td className={`episode-outcome episode-outcome-${d.a.outcome}`}>{ended(d.a)}</td>
              <td className={`episode-outcome episode-outcome-${d.b.outcome}`}>{ended(d.b)}</td>
              <td>
                <button
                  type="button"
                  aria-label={`Replay task ${d.taskId} trial ${d.trial} side by side`}
                  disabled={why !== null}
                  title={why ?? `Both runs' episode of task ${d.taskId}, trial ${d.trial} on one timeline`}
                  onClick={() => {
                    // The address is the contract with the Replay page: address-sync follows it there.
                    window.location.hash = sideBySideAddress({ runId: a, compareRunId: b, taskId: d.taskId, trial: d.trial });
                  }}
                >
                  Replay side by side
                </button>
                {why && <span className="muted"> {why}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
