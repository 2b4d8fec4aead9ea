import { EmptyState } from '../components/EmptyState.js';

export function ReplayPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Replay</h1>
      <EmptyState title="No episode to replay">
        <p>
          An episode's trajectory will play here in 3D: the scene, a timeline to scrub, camera modes, and plots of the actions,
          the gripper and each chunk's speculative-decoding record (accepted layers, latency) in step with the timeline.
        </p>
        <p>Episodes come from runs: open one from the Results page once evaluations can be run.</p>
      </EmptyState>
    </section>
  );
}
