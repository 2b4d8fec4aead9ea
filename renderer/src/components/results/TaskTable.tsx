import type { Results } from '../../../../engine/api/schemas/results.js';
import { IntervalBar } from './IntervalBar.js';
import { percent } from './format.js';

type Stats = Results['total'];

function Row({ name, title, stats, testId }: { name: string; title?: string | undefined; stats: Stats; testId: string }) {
  return (
    <tr data-testid={testId}>
      <th scope="row" title={title}>
        {name}
        {title && <span className="task-instruction-cell">{title}</span>}
      </th>
      <td className="num">{stats.episodes}</td>
      <td className="num">{stats.successes}</td>
      <td className="num">{stats.failures}</td>
      <td className={`num${stats.errors ? ' bad' : ''}`}>{stats.errors}</td>
      <td className="num">{percent(stats.rate)}</td>
      <td className="num muted">
        {percent(stats.wilson95.low)}–{percent(stats.wilson95.high)}
      </td>
      <td className="interval-cell">
        <IntervalBar rate={stats.rate} low={stats.wilson95.low} high={stats.wilson95.high} />
      </td>
    </tr>
  );
}

/** Success per task and in total, with Wilson 95% intervals (errors count against the rate). */
export function TaskTable({ results, instructions }: { results: Results; instructions: ReadonlyMap<number, string> }) {
  return (
    <table className="data-table task-table" aria-label="Success per task">
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col" className="num">Episodes</th>
          <th scope="col" className="num">Successes</th>
          <th scope="col" className="num">Failures</th>
          <th scope="col" className="num">Errors</th>
          <th scope="col" className="num">Success</th>
          <th scope="col" className="num">Wilson 95%</th>
          <th scope="col">Interval (0–100%)</th>
        </tr>
      </thead>
      <tbody>
        {results.tasks.map((t) => (
          <Row key={t.taskId} name={`Task ${t.taskId}`} title={instructions.get(t.taskId)} stats={t} testId={`task-row-${t.taskId}`} />
        ))}
      </tbody>
      <tfoot>
        <Row name="All tasks" stats={results.total} testId="task-row-total" />
      </tfoot>
    </table>
  );
}
