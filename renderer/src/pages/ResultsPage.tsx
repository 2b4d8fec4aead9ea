import { EmptyState } from '../components/EmptyState.js';

export function ResultsPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Results</h1>
      <EmptyState title="No runs yet">
        <p>
          Finished and running evaluations will be listed here, each with per-task success and Wilson 95% intervals, chunk
          latency percentiles, draft acceptance per code layer, and its episodes, failed ones first. Two runs can be compared
          side by side, and results exported as JSON.
        </p>
        <p>Runs appear once the evaluation runner lands and you start one from the Run page.</p>
      </EmptyState>
    </section>
  );
}
