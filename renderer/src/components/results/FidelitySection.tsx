import { useEffect, useId } from 'react';
import { taskCaveats } from '../../../../engine/api/known-issues.js';
import type { ClosedLoopPairing, ErrorStats, FidelityGroup, FidelityOverview, FidelityStats } from '../../../../engine/api/schemas/fidelity.js';
import type { PairedSuccess } from '../../../../engine/api/schemas/comparison.js';
import { useApp } from '../../store/context.js';
import { count, dateTime, percent, pValue } from './format.js';

/**
 * The Results page's "Simulator fidelity" section: the newest report `rsd fidelity` wrote
 * (docs/libero-bridge.md "Fidelity report"), as the engine reads it (`fidelity.latest`): per source
 * and fixture mode, each task's success agreement between the embedded simulator and the reference
 * (real LIBERO), grip-site and object errors over time, the moved object's final error; and two
 * evaluation runs' success paired (McNemar), when the report has them.
 */

/** Metres as millimetres, one decimal. */
const mm = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : (1000 * x).toFixed(1));

const FIXTURE_LABELS: Record<FidelityGroup['fixtures'], string> = {
  default: 'embedded fixtures at their default places',
  reference: "embedded fixtures where the reference's reset put them",
};

const SOURCE_LABELS: Record<FidelityGroup['source'], string> = { expert: 'Scripted expert', bundle: 'Bundle' };

function median(stats: readonly ErrorStats[], checkpoint: ErrorStats['checkpoint']): string {
  return mm(stats.find((s) => s.checkpoint === checkpoint)?.median);
}

function StatsRow({ name, s, points, testId }: { name: string; s: FidelityStats; points: ErrorStats['checkpoint'][]; testId: string }) {
  return (
    <tr data-testid={testId}>
      <th scope="row">{name}</th>
      <td className="num">{s.episodes}</td>
      <td className={`num${s.agreement !== null && s.agreement < 1 ? ' bad' : ''}`}>
        {s.agreements}/{s.episodes} ({percent(s.agreement, 0)})
      </td>
      <td className="num">
        {s.successesEmbedded} / {s.successesReference}
      </td>
      {points.map((p) => (
        <td key={`eef-${p}`} className="num">
          {median(s.eef, p)}
        </td>
      ))}
      {points.map((p) => (
        <td key={`object-${p}`} className="num">
          {median(s.object, p)}
        </td>
      ))}
      <td className="num">{mm(s.finalObjectMedian)}</td>
      <td className="num">{mm(s.fixtureOffsetMedian)}</td>
    </tr>
  );
}

function GroupTable({ group, points, reference }: { group: FidelityGroup; points: ErrorStats['checkpoint'][]; reference: string }) {
  const id = useId();
  const name = `Fidelity: ${SOURCE_LABELS[group.source]}, ${FIXTURE_LABELS[group.fixtures]}`;
  return (
    <div className="fidelity-group">
      <h4 id={id}>
        {SOURCE_LABELS[group.source]} · {FIXTURE_LABELS[group.fixtures]}
      </h4>
      <table className="data-table fidelity-table" aria-label={name} data-testid={`fidelity-${group.source}-${group.fixtures}`}>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>
              Task
            </th>
            <th scope="col" rowSpan={2} className="num">
              Episodes
            </th>
            <th scope="col" rowSpan={2} className="num">
              Agreement
            </th>
            <th scope="col" rowSpan={2} className="num">
              Success embedded / {reference}
            </th>
            <th scope="colgroup" colSpan={points.length} className="num">
              Grip-site error, median mm, at step
            </th>
            <th scope="colgroup" colSpan={points.length} className="num">
              Object error, median mm, at step
            </th>
            <th scope="col" rowSpan={2} className="num">
              Final object error, mm
            </th>
            <th scope="col" rowSpan={2} className="num">
              Fixture offset, mm
            </th>
          </tr>
          <tr>
            {[...points, ...points].map((p, i) => (
              <th key={i} scope="col" className="num">
                {p}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {group.tasks.map((t) => (
            <StatsRow key={t.taskId} name={`Task ${t.taskId}`} s={t} points={points} testId={`fidelity-row-${t.taskId}`} />
          ))}
        </tbody>
        <tfoot>
          <StatsRow name="All tasks" s={group.total} points={points} testId="fidelity-row-total" />
        </tfoot>
      </table>
    </div>
  );
}

function PairedRow({ name, s }: { name: string; s: PairedSuccess }) {
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
      <td className="num">{s.onlyA}</td>
      <td className="num">{s.onlyB}</td>
      <td className={`num${s.pValue < 0.05 ? ' significant' : ''}`}>{pValue(s.pValue)}</td>
    </tr>
  );
}

function ClosedLoop({ c }: { c: ClosedLoopPairing }) {
  const ref = c.referenceRun.backend;
  return (
    <div className="fidelity-group" data-testid="fidelity-closed-loop">
      <h4>Closed loop: the bundle's success in each simulator</h4>
      <p className="muted">
        Run <code>{c.embeddedRun.id}</code> (embedded {c.embeddedRun.version}) against run <code>{c.referenceRun.id}</code> ({ref} {c.referenceRun.version}), bundle {c.embeddedRun.bundle};{' '}
        {c.paired} paired episodes, {c.unpaired} unpaired.
        {c.configDifferences.length > 0 && ` Also differs: ${c.configDifferences.map((d) => `${d.field} (${d.a} / ${d.b})`).join(', ')}.`}
      </p>
      <table className="data-table fidelity-table" aria-label="Fidelity: closed-loop success, paired">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col" className="num">Pairs</th>
            <th scope="col" className="num">Embedded success</th>
            <th scope="col" className="num">{ref} success</th>
            <th scope="col" className="num">Embedded only</th>
            <th scope="col" className="num">{ref} only</th>
            <th scope="col" className="num">McNemar p</th>
          </tr>
        </thead>
        <tbody>
          {c.tasks.map((t) => (
            <PairedRow key={t.taskId} name={`Task ${t.taskId}`} s={t} />
          ))}
        </tbody>
        <tfoot>
          <PairedRow name="All tasks" s={c.total} />
        </tfoot>
      </table>
    </div>
  );
}

function Report({ report, file }: { report: FidelityOverview; file: string | null }) {
  const points: ErrorStats['checkpoint'][] = [...report.checkpoints.filter((c) => c >= 25), 'end'];
  const ref = report.reference.backend;
  return (
    <div data-testid="fidelity-report">
      <p data-testid="fidelity-headline">
        {report.suite}: embedded {report.embedded.version} against <strong>{ref}</strong> {report.reference.version} ·{' '}
        {count(report.tasks.length, 'task')} × {count(report.initIndices.length, 'initial state')} · {count(report.episodeCount, 'comparison')} · {dateTime(report.createdAt)}
        {report.status === 'cancelled' && ' · cancelled (what finished)'}
      </p>
      <p className="muted">
        The scripted expert's and the bundle's actions, recorded in the embedded simulator from LIBERO's initial states, replayed in both. Errors are distances between the
        two backends' positions, medians over the episodes that reached the step (policy steps after the {report.waitSteps} wait steps); agreement: both succeeded or
        both did not. {file && <>Report: <code>{file}</code>.</>}
      </p>
      {taskCaveats(report.suite, report.tasks, report.reference).map((caveat) => (
        <p key={caveat.taskId} className="run-caveat" role="note" data-testid={`fidelity-caveat-task-${caveat.taskId}`}>
          Task {caveat.taskId} in {ref}: {caveat.note}.
        </p>
      ))}
      {report.groups.map((g) => (
        <GroupTable key={`${g.source}-${g.fixtures}`} group={g} points={points} reference={ref} />
      ))}
      {report.disagreementCount > 0 && (
        <details className="fidelity-disagreements">
          <summary>
            {count(report.disagreementCount, 'episode')} where the backends disagree on success
          </summary>
          <ul>
            {report.disagreements.map((e) => (
              <li key={`${e.source}-${e.fixtures}-${e.taskId}-${e.initIndex}`}>
                {e.source}, {e.fixtures} fixtures, task {e.taskId}, initial state {e.initIndex}: embedded {e.embedded.outcome}
                {e.embedded.successStep !== null && ` at step ${e.embedded.successStep}`}, {ref} {e.reference.outcome}
                {e.reference.successStep !== null && ` at step ${e.reference.successStep}`}
              </li>
            ))}
          </ul>
        </details>
      )}
      {report.closedLoop && <ClosedLoop c={report.closedLoop} />}
    </div>
  );
}

export function FidelitySection() {
  const connected = useApp((s) => s.connectionState === 'open');
  const latest = useApp((s) => s.fidelity);
  const error = useApp((s) => s.fidelityError);
  const load = useApp((s) => s.loadFidelity);
  const id = useId();
  useEffect(() => {
    if (connected) void load();
  }, [connected, load]);

  return (
    <section className="results-part fidelity" aria-labelledby={id} data-testid="fidelity-section">
      <h2 id={id}>Simulator fidelity</h2>
      {error ? (
        <p className="run-error" role="alert">
          Could not read the fidelity reports: {error.message}
        </p>
      ) : !latest ? (
        <p className="muted">{connected ? 'Reading the fidelity reports…' : 'Waiting for the engine connection…'}</p>
      ) : latest.report ? (
        <Report report={latest.report} file={latest.file} />
      ) : latest.problem ? (
        <p className="run-error" role="alert" data-testid="fidelity-problem">
          The newest fidelity report cannot be read: {latest.problem}
        </p>
      ) : (
        <p data-testid="fidelity-empty">
          No fidelity report yet: run <code>rsd fidelity</code> to compare the embedded simulator with real LIBERO (reports are kept in <code>{latest.dir}</code>).
        </p>
      )}
    </section>
  );
}
