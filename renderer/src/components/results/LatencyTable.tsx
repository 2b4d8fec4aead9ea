import { LATENCY_STAGES, type LatencyStage, type Results } from '../../../../engine/api/schemas/results.js';
import { count, millis } from './format.js';

const STAGE_LABEL: Record<LatencyStage, string> = {
  totalMs: 'Total',
  prefillMs: 'Prefill',
  draftMs: 'Draft',
  verifyMs: 'Verify',
  mainStepsMs: 'Remaining main steps',
  parallelMs: 'Parallel heads',
  decoderMs: 'RFSQ decoder model',
  rfsqMs: 'RFSQ codes to latent',
  ortMs: 'onnxruntime, all stages',
  overheadMs: 'Engine overhead',
};

/** A policy server's run: its stages ran on the server, and the total is the client's round trip. */
const SERVER_STAGE_LABEL: Partial<Record<LatencyStage, string>> = {
  totalMs: 'Total (round trip)',
  ortMs: 'Server, all stages',
  overheadMs: 'Network, server and client overhead',
};

/** A stage's name as the tables say it (a policy server's run names its server's stages so). */
export const stageLabel = (s: LatencyStage, served = false): string => (served ? (SERVER_STAGE_LABEL[s] ?? STAGE_LABEL[s]) : STAGE_LABEL[s]);

/** Chunk latency percentiles per stage; stages that never ran in this run (all zero) are left out. */
export function LatencyTable({ results }: { results: Results }) {
  const stages = LATENCY_STAGES.filter((s) => (results.latency.stages[s].p99 ?? 0) > 0);
  const omitted = LATENCY_STAGES.length - stages.length;
  if (results.latency.chunks === 0) return <p className="muted">No chunks were decoded in this run.</p>;
  const served = results.config.policy?.kind === 'remote';
  const label = (s: LatencyStage) => stageLabel(s, served);
  return (
    <>
      <table className="data-table latency-table" aria-label="Chunk latency per stage">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col" className="num">Median</th>
            <th scope="col" className="num">p90</th>
            <th scope="col" className="num">p99</th>
          </tr>
        </thead>
        <tbody>
          {stages.map((s) => {
            const p = results.latency.stages[s];
            return (
              <tr key={s} data-testid={`latency-${s}`}>
                <th scope="row">
                  {label(s)} <code className="muted">{s}</code>
                </th>
                <td className="num">{millis(p.median)}</td>
                <td className="num">{millis(p.p90)}</td>
                <td className="num">{millis(p.p99)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted table-note">
        Over {count(results.latency.chunks, 'chunk')} of all episodes pooled.{served && ' The stages are the server’s own times (its rsd records); the total is the round trip this engine measured.'}{omitted > 0 && ` ${omitted} ${omitted === 1 ? 'stage that did not run in this decoding is' : 'stages that did not run in this decoding are'} left out.`}
      </p>
    </>
  );
}
