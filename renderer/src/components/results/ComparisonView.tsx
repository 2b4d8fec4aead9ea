import { useEffect } from 'react';
import type { Comparison, PairedSuccess } from '../../../../engine/api/schemas/comparison.js';
import { useApp } from '../../store/context.js';
import { comparisonKey } from '../../store/results.js';
import { LatencyOverlayPlot, PairedSuccessPlot } from './ComparisonPlots.js';
import { DifferingEpisodes } from './DifferingEpisodes.js';
import { count, decodingLabel, millis, percent, pValue, signedPoints } from './format.js';
import { stageLabel } from './LatencyTable.js';

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

/** "3.20–3.44" (two decimals). */
const range = (i: { low: number; high: number }) => `${i.low.toFixed(2)}–${i.high.toFixed(2)}`;

/** "B is 3.31× faster per chunk (95% CI 3.20–3.44, bootstrap over chunks)", from the engine's ratio A/B and its interval. */
export function speedSentence(c: Comparison): string {
  const r = c.latency.totalRatio;
  if (r === null) return c.latency.chunksA === 0 || c.latency.chunksB === 0 ? `Chunk latency: not comparable (run ${c.latency.chunksA === 0 ? 'A' : 'B'} has no chunks).` : 'Chunk latency: not comparable (B’s median chunk took no time).';
  const i = c.latency.totalInterval;
  const faster = r >= 1;
  // Slower, the factor is 1/r, and its interval [1/high, 1/low].
  const shown = i && (faster ? i : { low: 1 / i.high, high: 1 / i.low });
  const spread = shown ? `95% CI ${range(shown)}, bootstrap over chunks` : 'no interval: a resample of B had a median of 0 ms';
  const clear = i && i.low <= 1 && i.high >= 1 ? '; the interval includes 1: no clear difference' : '';
  return `B is ${(faster ? r : 1 / r).toFixed(2)}× ${faster ? 'faster' : 'slower'} per chunk (${spread})${clear}.`;
}

function Speed({ c }: { c: Comparison }) {
  const total = c.latency.stages.find((s) => s.stage === 'totalMs');
  return (
    <p data-testid="latency-ratio">
      <strong>{speedSentence(c)}</strong>{' '}
      {c.latency.totalRatio !== null && (
        <span className="muted">
          Median chunk {millis(total?.medianA)} (A) vs {millis(total?.medianB)} (B): A/B {c.latency.totalRatio.toFixed(2)}.
        </span>
      )}
    </p>
  );
}

/** The stages either run has, named as in the single-run table; a stage a run's decoding lacks reads n/a. */
function StageTable({ c, served }: { c: Comparison; served: boolean }) {
  const stages = c.latency.stages.filter((s) => s.medianA !== null || s.medianB !== null);
  const omitted = c.latency.stages.length - stages.length;
  const b = c.latency.bootstrap;
  return (
    <>
      <table className="data-table" aria-label="Chunk latency medians, A and B">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col" className="num">A median</th>
            <th scope="col" className="num">B median</th>
            <th scope="col" className="num">A/B</th>
            <th scope="col" className="num">95% CI of A/B</th>
          </tr>
        </thead>
        <tbody>
          {stages.map((s) => (
            <tr key={s.stage} data-testid={`compare-stage-${s.stage}`}>
              <th scope="row">
                {stageLabel(s.stage, served)} <code className="muted">{s.stage}</code>
              </th>
              <td className="num">{millis(s.medianA)}</td>
              <td className="num">{millis(s.medianB)}</td>
              <td className="num">{s.ratio === null ? 'n/a' : s.ratio.toFixed(2)}</td>
              <td className="num">{s.interval === null ? 'n/a' : range(s.interval)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted table-note">
        Over {count(c.latency.chunksA, 'chunk')} of A and {count(c.latency.chunksB, 'chunk')} of B.
        {stages.some((s) => s.medianA === null || s.medianB === null) &&
          ` n/a: the run’s decoding has no such stage${c.a.decoding !== c.b.decoding ? ` (A ${c.a.decoding}, B ${c.b.decoding})` : ''}, or it took no time in that run.`}
        {omitted > 0 && ` ${count(omitted, 'stage')} that neither run has ${omitted === 1 ? 'is' : 'are'} left out.`} Intervals: {b.method} bootstrap over chunks, {b.resamples} resamples of each run’s
        chunks, seed {b.seed} (docs/metrics.md).
      </p>
    </>
  );
}

/**
 * The engine's comparison of run B against run A (`runs.compare`): paired per-task success
 * differences with McNemar's exact p, overlaid success and latency plots, the latency ratio with its
 * bootstrap interval, stage medians (n/a where a decoding lacks the stage), and the paired episodes
 * whose outcome differs, each opening the side-by-side replay. Asked again whenever either run's
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
  const served = resultsA?.results.config.policy?.kind === 'remote' && resultsB?.results.config.policy?.kind === 'remote';
  const label = (l: Comparison['a']) => `${l.id ?? '(no id)'}: ${decodingLabel(l.decoding, l.accept, l.threshold, l.depth)}, ${l.bundle}, ${l.executionProvider}`;
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
      {c.paired === 0 && (
        <p className="notice-line" data-testid="no-pairs">
          No episode of A pairs with one of B (the same task and trial from the same initial state): success cannot be compared, only latency.
        </p>
      )}
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
      <div className="charts">
        <PairedSuccessPlot c={c} />
        <LatencyOverlayPlot c={c} />
      </div>
      <Speed c={c} />
      <StageTable c={c} served={served} />
      <h4>Episodes whose outcome differs</h4>
      <DifferingEpisodes c={c} a={a} b={b} />
      <p className="muted">
        Mean accepted layers: A {c.acceptance.meanAcceptedLayersA?.toFixed(2) ?? 'n/a'}, B {c.acceptance.meanAcceptedLayersB?.toFixed(2) ?? 'n/a'}. McNemar’s exact test uses only the discordant pairs
        (docs/metrics.md).
      </p>
    </div>
  );
}
