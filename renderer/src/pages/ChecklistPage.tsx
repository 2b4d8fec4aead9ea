import { EmptyState } from '../components/EmptyState.js';

export function ChecklistPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Checklist</h1>
      <EmptyState title="No checks in this build yet">
        <p>
          This page will list every prerequisite as a row with its status and a fix: execution providers (WebGPU adapter,
          CUDA libraries), the model bundle and its draft, the embedded MuJoCo simulator, a LIBERO checkout, Modal and an
          experiment tracker.
        </p>
        <p>
          Until the checks land, the <a href="#/system">System</a> page shows what the engine found: onnxruntime and its
          execution providers, and the MuJoCo version it loaded. From a terminal: <code>npx rsd info</code>.
        </p>
      </EmptyState>
    </section>
  );
}
