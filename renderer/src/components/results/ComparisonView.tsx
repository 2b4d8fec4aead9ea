import { useEffect } from 'react';
import type { Comparison, PairedSuccess } from '../../../../engine/api/schemas/comparison.js';
import { useApp } from '../../store/context.js';
import { comparisonKey } from '../../store/results.js';
import { decodingLabel, millis, percent, pValue, signedPoints } from './format.js';

function SuccessRow({ name, s }: { name: string; s: PairedSuccess }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td className="num">{s.n}</td>
      <td className="num">
        {s.successesA} ({percent(s.rateA)})
      </td>
      <td className="num">
        {s.successesB} ({percent(s.rateB)})
      </td>
      <td className={`num${s.difference !== null && s.difference > 0 ? ' good' : s.difference !== null && s.difference < 0 ? ' bad' : ''}`}>{signedPoints(s.difference)}</td>
      <td className="num">{s.onlyA}</td>
      <td className="num">{s.onlyB}</td>
      <td className={`num${s.pValue < 0.05 ? ' significant' : ''}`}>{pValue(s.pValue)}</td>
    </tr>
  );
}

function Speed({ c }: { c: Comparison }) {
  const r = c.latency.totalRatio;
  const total = c.latency.stages.find((s) => s.stage === 'totalMs');
  const medians = `median chunk ${millis(total?.medianA)} (A) vs ${millis(total?.medianB)} (B)`;
  if (r === null) return <p data-testid="latency-ratio">Chunk latency: not comparable (a run has no chunks).</p>;
  return (
    <p data-testid="latency-ratio">
      Latency ratio A/B <strong>{r.toFixed(2)}</strong>: B is {r >= 1 ? `${r.toFixed(2)} times faster` : `${(1 / r).toFixed(2)} times slower`} per chunk ({medians}).
    </p>
  );
}

/**
 * The engine's comparison of run B against run A (`runs.compare`): paired per-task success
 * differences with McNemar's exact p, and latency side by side. Asked again whenever either run's
 * results are read again (a run still running gains episodes).
 */
export function ComparisonView({ a, b }: { a: string; b: string }) {
  const outcome = useApp((s) => s.comparisons[comparisonKey(a, b)]);
  const load = useApp((s) => s.loadComparison);
  const resultsA = useApp((s) => s.runResults[a]);
  const resultsB = useApp((s) => s.runResults[b]);
  useEffect(() => {
    void load(a, b);
  }, [a, b, resultsA, resultsB, load]);

  if (!outcome) return <p className="muted">Comparing…</p>;
  if ('error' in outcome) {
    return (
      <p className="run-error" role="alert">
        {outcome.error.kind === 'invalid-params' ? 'These runs cannot be compared' : 'Could not compare the runs'}: {outcome.error.message}.
      </p>
    );
  }
  const c = outcome.comparison;
  const label = (l: Comparison['a']) => `${l.id ?? '(no id)'}: ${decodingLabel(l.decoding, l.accept, l.threshold)}, ${l.bundle}, ${l.executionProvider}`;
  return (
    <div className="comparison" data-testid="comparison">
      <ul className="comparison-runs">
        <li>
          <strong>A</strong> {label(c.a)}
        </li>
        <li>
          <strong>B</strong> {label(c.b)}
        </li>
      </ul>
      <p className="muted">
        {c.paired} paired episodes (same task, trial and initial state); {c.unpaired.total} unpaired ({c.unpaired.onlyInA} only in A, {c.unpaired.onlyInB} only in B,{' '}
        {c.unpaired.initIndexDiffers} from different initial states).
      </p>
      {c.configDifferences.length > 0 && (
        <p className="muted">
          Differs:{' '}
          {c.configDifferences.map((d, i) => (
            <span key={d.field}>
              {i > 0 && '; '}
              <code>{d.field}</code> A {d.a}, B {d.b}
            </span>
          ))}
        </p>
      )}
      <table className="data-table" aria-label="Paired success, B against A">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col" className="num">Pairs</th>
            <th scope="col" className="num">A success</th>
            <th scope="col" className="num">B success</th>
            <th scope="col" className="num">B − A</th>
            <th scope="col" className="num">Only A</th>
            <th scope="col" className="num">Only B</th>
            <th scope="col" className="num">McNemar p</th>
          </tr>
        </thead>
        <tbody>
          {c.tasks.map((t) => (
            <SuccessRow key={t.taskId} name={`Task ${t.taskId}`} s={t} />
          ))}
        </tbody>
        <tfoot>
          <SuccessRow name="All tasks" s={c.total} />
        </tfoot>
      </table>
      <Speed c={c} />
      <table className="data-table" aria-label="Chunk latency medians, A and B">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col" className="num">A median</th>
            <th scope="col" className="num">B median</th>
            <th scope="col" className="num">A/B</th>
          </tr>
        </thead>
        <tbody>
          {c.latency.stages
            .filter((s) => (s.medianA ?? 0) > 0 || (s.medianB ?? 0) > 0)
            .map((s) => (
              <tr key={s.stage}>
                <th scope="row">
                  <code>{s.stage}</code>
                </th>
                <td className="num">{millis(s.medianA)}</td>
                <td className="num">{millis(s.medianB)}</td>
                <td className="num">{s.ratio === null ? 'n/a' : s.ratio.toFixed(2)}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <p className="muted">
        Mean accepted layers: A {c.acceptance.meanAcceptedLayersA?.toFixed(2) ?? 'n/a'}, B {c.acceptance.meanAcceptedLayersB?.toFixed(2) ?? 'n/a'}. McNemar’s exact test uses only the discordant pairs
        (docs/metrics.md).
      </p>
    </div>
  );
}
