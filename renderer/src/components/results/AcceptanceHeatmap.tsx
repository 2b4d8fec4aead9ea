import type { Results } from '../../../../engine/api/schemas/results.js';
import { taskLayerAcceptance, type LayerAcceptance } from './analysis.js';
import { percent } from './format.js';

function Cell({ a, label }: { a: LayerAcceptance | undefined; label: string }) {
  if (!a || a.rate === null) {
    return (
      <td className="heat-cell heat-empty" aria-label={`${label}: not proposed`}>
        –
      </td>
    );
  }
  // The accent's strength is the rate; the text stays readable on either end.
  const strength = Math.round(a.rate * 85);
  return (
    <td className="heat-cell" style={{ background: `color-mix(in srgb, var(--accent) ${strength}%, transparent)` }} title={`${a.accepted} of ${a.proposed} chunks`} aria-label={`${label}: ${percent(a.rate)} (${a.accepted} of ${a.proposed})`}>
      <span className={a.rate > 0.6 ? 'heat-text-strong' : undefined}>{percent(a.rate, 0)}</span>
    </td>
  );
}

/** Draft acceptance per task x draft layer, from the episodes' chunks; the run's per-layer figures below. */
export function AcceptanceHeatmap({ results }: { results: Results }) {
  const rows = taskLayerAcceptance(results);
  const perLayer = results.acceptance.perLayer;
  if (perLayer.length === 0) {
    return <p className="muted">No draft layers were proposed: this run decoded {results.config.decoding}, which uses no draft.</p>;
  }
  return (
    <>
      <table className="data-table heatmap" aria-label="Acceptance per task and draft layer">
        <thead>
          <tr>
            <th scope="col">Task</th>
            {perLayer.map((l) => (
              <th key={l.layer} scope="col" className="num">
                Layer {l.layer}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.taskId}>
              <th scope="row">Task {r.taskId}</th>
              {perLayer.map((l) => (
                <Cell key={l.layer} a={r.layers[l.layer]} label={`Task ${r.taskId}, layer ${l.layer}`} />
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All tasks</th>
            {perLayer.map((l) => (
              <Cell key={l.layer} a={{ layer: l.layer, proposed: l.proposed, accepted: l.accepted, rate: l.rate }} label={`All tasks, layer ${l.layer}`} />
            ))}
          </tr>
          <tr>
            <th scope="row" title="Point-biserial correlation over episodes between acceptance of the layer and success (docs/metrics.md)">
              Correlation with success
            </th>
            {perLayer.map((l) => (
              <td key={l.layer} className="num muted">
                {l.successCorrelation === null ? 'n/a' : l.successCorrelation.toFixed(2)}
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
      <p className="muted table-note">
        Share of the chunks proposing a layer whose accepted prefix covers it. Mean accepted layers{' '}
        {results.acceptance.meanAcceptedLayers === null ? 'n/a' : results.acceptance.meanAcceptedLayers.toFixed(2)} over {results.acceptance.speculativeChunks} speculative chunks.
      </p>
    </>
  );
}
