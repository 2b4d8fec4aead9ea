import { useEffect } from 'react';
import { RunForm } from '../components/run/RunForm.js';
import { RunProgress } from '../components/run/RunProgress.js';
import { useApp } from '../store/context.js';

function EngineRefusal() {
  const error = useApp((s) => s.runError);
  if (!error) return null;
  return (
    <div className="run-error" role="alert" data-testid="run-error">
      <strong>The engine did not start the run.</strong> {error.message}
      {error.field && (
        <span className="muted">
          {' '}
          (<code>{error.field}</code>)
        </span>
      )}
    </div>
  );
}

export function RunPage() {
  const connected = useApp((s) => s.connectionState === 'open');
  const loadRunPage = useApp((s) => s.loadRunPage);
  const live = useApp((s) => s.liveRun);
  const navigate = useApp((s) => s.navigate);

  // On (re)load and on reconnect: the suites, and whatever run the engine is doing now.
  useEffect(() => {
    if (connected) void loadRunPage();
  }, [connected, loadRunPage]);

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Run</h1>
      <p className="lede">
        Evaluate a model bundle, or a policy server, on LIBERO tasks in the embedded simulator or in real LIBERO (a Python worker): choose tasks, trials and decoding, then watch success and
        latency live. Runs are kept; an interrupted one can be resumed from the{' '}
        <a href="#/results" onClick={(e) => (e.preventDefault(), navigate('results'))}>
          Results
        </a>{' '}
        page.
      </p>
      <div className="run-layout">
        <RunForm />
        <div className="run-side">
          <EngineRefusal />
          {live ? (
            <RunProgress live={live} />
          ) : (
            <div className="empty-state">
              <h2>No run in progress</h2>
              <p>Choose tasks and press Start. Progress per task, running success, chunk latency and a log appear here.</p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
