import { EmptyState } from '../components/EmptyState.js';

export function RunPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Run</h1>
      <EmptyState title="Evaluation is not available in this build yet">
        <p>
          Here you will start trials: a LIBERO suite, its tasks, trials per task, the decoding strategy (parallel,
          autoregressive or speculative) with its acceptance rule, the execution provider and the model bundle, then watch
          progress, running success and latency live.
        </p>
        <p>It arrives with the evaluation runner, together with its command-line form, <code>rsd eval</code>.</p>
      </EmptyState>
    </section>
  );
}
