import type { Results } from '../../../../engine/api/schemas/results.js';
import { taskLayerAcceptance, type LayerAcceptance } from './analysis.js';
import { percent } from './format.js';

/**
 * The colour scale spans the rates observed in this table, not 0–100%: a run whose layers all
 * accept between 94% and 100% still shows which cells are 94. The legend states the span.
 */
export interface HeatScale {
  low: number;
  high: number;
  /** The accent's strength (% in color-mix) for a rate. */
  strength(rate: number): number;
}

export function heatScale(rates: readonly number[]): HeatScale | null {
  if (rates.length === 0) return null;
  const low = Math.min(...rates);
  const high = Math.max(...rates);
  const span = high - low;
  return { low, high, strength: (rate) => Math.round(span < 1e-9 ? 50 : 12 + ((rate - low) / span) * 78) };
}

/** Why a layer's correlation with success is undefined (docs/metrics.md), from the episodes that proposed it. */
export function correlationNaReason(results: Results, layer: number): string {
  const proposing = results.episodes.filter((e) => e.chunks.draftLayers.some((k) => k > layer));
  if (proposing.length < 2) return `${proposing.length === 0 ? 'no episode' : 'only one episode'} proposed it`;
  const successes = proposing.filter((e) => e.outcome === 'success').length;
  if (successes === proposing.length) return 'every episode that proposed it succeeded';
  if (successes === 0) return 'no episode that proposed it succeeded';
  return 'its acceptance was the same in every episode that proposed it';
}

function Cell({ a, label, scale }: { a: LayerAcceptance | undefined; label: string; scale: HeatScale }) {
  if (!a || a.rate === null) {
    return (
      <td className="heat-cell heat-empty" aria-label={`${label}: not proposed`}>
        –
      </td>
    );
  }
  const strength = scale.strength(a.rate);
  return (
    <td
      className="heat-cell"
      style={{ background: `color-mix(in srgb, var(--accent) ${strength}%, transparent)` }}
      title={`${a.accepted} of ${a.proposed} chunks`}
      aria-label={`${label}: ${percent(a.rate)} (${a.accepted} of ${a.proposed})`}
      data-strength={strength}
    >
      <span className={strength > 55 ? 'heat-text-strong' : undefined}>{percent(a.rate, a.rate > 0.9 && a.rate < 1 ? 1 : 0)}</span>
    </td>
  );
}

function Legend({ scale }: { scale: HeatScale }) {
  const same = scale.high - scale.low < 1e-9;
  return (
    <div className="heat-legend" data-testid="heat-legend">
      <span>{percent(scale.low)}</span>
      <span
        className="heat-legend-bar"
        aria-hidden="true"
        style={{ background: `linear-gradient(to right, color-mix(in srgb, var(--accent) ${scale.strength(scale.low)}%, transparent), color-mix(in srgb, var(--accent) ${scale.strength(scale.high)}%, transparent))` }}
      />
      <span>{percent(scale.high)}</span>
      <span className="muted">{same ? 'every cell has the same rate' : 'colour scaled to the observed range, not 0–100%'}</span>
    </div>
  );
}

/** Draft acceptance per task x draft layer, from the episodes' chunks; the run's per-layer figures below. */
export function AcceptanceHeatmap({ results }: { results: Results }) {
  const rows = taskLayerAcceptance(results);
  const perLayer = results.acceptance.perLayer;
  if (perLayer.length === 0) {
    if (results.episodes.length === 0) return <p className="muted">No episode has finished yet: acceptance shows once one has.</p>;
    return <p className="muted">No draft layers were proposed: this run decoded {results.config.decoding}, which uses no draft.</p>;
  }
  const rates = [...rows.flatMap((r) => r.layers.map((l) => l.rate)), ...perLayer.map((l) => l.rate)].filter((r): r is number => r !== null);
  const scale = heatScale(rates)!;
  const undefinedCorrelations = perLayer.filter((l) => l.successCorrelation === null);
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
                <Cell key={l.layer} a={r.layers[l.layer]} label={`Task ${r.taskId}, layer ${l.layer}`} scale={scale} />
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All tasks</th>
            {perLayer.map((l) => (
              <Cell key={l.layer} a={{ layer: l.layer, proposed: l.proposed, accepted: l.accepted, rate: l.rate }} label={`All tasks, layer ${l.layer}`} scale={scale} />
            ))}
          </tr>
          <tr>
            <th scope="row" title="Point-biserial correlation over episodes between acceptance of the layer and success (docs/metrics.md)">
              Correlation with success
            </th>
            {perLayer.map((l) =>
              l.successCorrelation === null ? (
                <td key={l.layer} className="num muted" title={correlationNaReason(results, l.layer)} aria-label={`Layer ${l.layer} correlation: n/a, ${correlationNaReason(results, l.layer)}`}>
                  n/a
                </td>
              ) : (
                <td key={l.layer} className="num muted">
                  {l.successCorrelation.toFixed(2)}
                </td>
              ),
            )}
          </tr>
        </tfoot>
      </table>
      <Legend scale={scale} />
      {undefinedCorrelations.length > 0 && (
        <ul className="muted table-note heat-na" aria-label="Why a correlation is n/a">
          {undefinedCorrelations.map((l) => (
            <li key={l.layer}>
              Layer {l.layer} correlation n/a: {correlationNaReason(results, l.layer)}.
            </li>
          ))}
        </ul>
      )}
      <p className="muted table-note">
        Share of the chunks proposing a layer whose accepted prefix covers it. Mean accepted layers{' '}
        {results.acceptance.meanAcceptedLayers === null ? 'n/a' : results.acceptance.meanAcceptedLayers.toFixed(2)} over {results.acceptance.speculativeChunks} speculative chunks.
      </p>
    </>
  );
}
