/**
 * What the fine RFSQ layers carry on real observations (docs/bundle-format.md "Cost per chunk"):
 * runs a short embedded evaluation of a layerwise bundle and, beside every chunk the policy
 * decodes, measures on the same observations
 * - per layer: how sure the main model is of its greedy code (top-1 probability, the levels holding
 *   10% or more, how often the greedy code is the zero level), decoding greedily from layer 0;
 * - per depth D: how far the normalised actions of autoregressive decoding at depth D are from
 *   full depth (the chunk's codes at depth D are full depth's first D layers).
 * The measurements run outside the episode (the run's own decoding is the default, unchanged).
 *
 *   npx tsx scripts/depth-analysis.ts [--bundle DIR] [--tasks 0-9] [--trials 2] [--depths 1,2,3,4]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { ObservationEncoder, observationFeeds } from '../engine/bundle/observation.js';
import { Decoder, layerwiseMain, StageClock, softmaxRow, argmaxRow } from '../engine/decoding/index.js';
import { zeroLevelOf } from '../engine/decoding/decoder.js';
import { resolveRun } from '../engine/eval/resolve.js';
import { runEvaluation, RUNNER_SESSION_OPTIONS } from '../engine/eval/runner.js';
import { BundlePolicy } from '../engine/policy/bundle-policy.js';
import type { Policy, PolicyInput, TaskContext } from '../engine/policy/policy.js';
import { parseTaskList } from '../engine/commands/expert.js';

const { values } = parseArgs({ options: { bundle: { type: 'string' }, tasks: { type: 'string' }, trials: { type: 'string' }, depths: { type: 'string' } } });
const dir = values.bundle ?? 'assets/bundles/default';
const tasks = parseTaskList(values.tasks ?? '0-9', 'libero_spatial')!;
const trials = Number(values.trials ?? 2);
const depths = (values.depths ?? '1,2,3,4').split(',').map(Number);

const inner = await BundlePolicy.load({ dir, ep: 'cpu', sessionOptions: RUNNER_SESSION_OPTIONS });
const { manifest } = inner.bundle;
const { layers: Q, latentSize: P, levels: L } = manifest.rfsq;
const zero = zeroLevelOf(L);
const main = layerwiseMain(inner.bundle);
if (!main) throw new Error(`${dir}: a layerwise bundle is needed`);
const decoder = new Decoder(inner.bundle);
const encoders = new Map<string, ObservationEncoder>();
const encoder = (t: TaskContext) => {
  const key = `${t.taskId}`;
  if (!encoders.has(key)) encoders.set(key, new ObservationEncoder(manifest, t.objects, t.instruction));
  return encoders.get(key)!;
};

// Per layer: sum of top-1 probabilities, codes with top-1 < 0.5, levels with p >= 0.1, greedy = zero level.
const top1 = new Float64Array(Q);
const unsure = new Float64Array(Q);
const support = new Float64Array(Q);
const atZero = new Float64Array(Q);
let codes = 0;
// Per depth: sum and max of |action(D) - action(Q)| over normalised action entries, and gripper flips.
const diffSum = new Float64Array(depths.length);
const diffMax = new Float64Array(depths.length);
const gripperFlips = new Float64Array(depths.length);
let entries = 0;
let gripperEntries = 0;
let chunks = 0;
const { chunk: C, dim } = manifest.action;
const gripper = manifest.action.gripper?.index ?? null;

async function analyse(inputs: readonly PolicyInput[]): Promise<void> {
  const feeds = observationFeeds(manifest, inputs.map((i) => encoder(i.task).encode(i.observation)));
  const B = inputs.length;
  const run = await main!.start(feeds, B, new StageClock());
  const p = new Float64Array(L);
  let previous = new BigInt64Array(B * P);
  for (let l = 0; l < Q; l++) {
    const logits = await run.step(previous, 1, 'mainSteps');
    const next = new BigInt64Array(B * P);
    for (let i = 0; i < B * P; i++) {
      softmaxRow(logits, i * L, L, p);
      const best = argmaxRow(logits, i * L, L);
      top1[l] = top1[l]! + p[best]!;
      if (p[best]! < 0.5) unsure[l] = unsure[l]! + 1;
      support[l] = support[l]! + p.filter((x) => x >= 0.1).length;
      if (best === zero) atZero[l] = atZero[l]! + 1;
      next[i] = BigInt(best);
    }
    previous = next;
  }
  codes += B * P;
  const full = await decoder.decodeBatch(feeds, { strategy: 'autoregressive' });
  for (const [j, D] of depths.entries()) {
    const shallow = await decoder.decodeBatch(feeds, { strategy: 'autoregressive', layers: D });
    for (let b = 0; b < B; b++) {
      const x = full[b]!.actionsNormalized;
      const y = shallow[b]!.actionsNormalized;
      for (let i = 0; i < C * dim; i++) {
        const d = Math.abs(x[i]! - y[i]!);
        diffSum[j] = diffSum[j]! + d;
        diffMax[j] = Math.max(diffMax[j]!, d);
        if (gripper !== null && i % dim === gripper && Math.sign(x[i]! - 0.5) !== Math.sign(y[i]! - 0.5)) gripperFlips[j] = gripperFlips[j]! + 1;
      }
    }
  }
  entries += B * C * dim;
  gripperEntries += B * C;
  chunks += B;
}

const policy: Policy = {
  metadata: inner.metadata,
  check: (t) => inner.check(t),
  reset: () => inner.reset(),
  close: () => inner.close(),
  async inferBatch(inputs, signal) {
    const out = await inner.inferBatch(inputs, signal);
    await analyse(inputs);
    return out;
  },
};

const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'rsd-depth-analysis-'));
try {
  const resolved = await resolveRun({ suite: 'libero_spatial', tasks, trials, workers: 1, policy: { kind: 'bundle', dir } }, { settings: null, runsRoot });
  const report = await runEvaluation(resolved, { createPolicy: async () => policy });
  const c = report.results.config;
  console.log(`depth analysis: ${manifest.name}, ${c.decoding}${c.accept ? ` (${c.accept})` : ''}, tasks ${tasks.join(',')} x ${trials} trials: ${report.results.total.successes}/${report.results.total.episodes} successes, ${chunks} chunks (${codes} codes per layer)`);
  console.log('per layer (greedy from layer 0): mean top-1 probability, codes with top-1 < 0.5, mean levels with p >= 0.1, greedy code = the zero level');
  for (let l = 0; l < Q; l++) console.log(`  layer ${l}: ${(top1[l]! / codes).toFixed(3)}, ${((100 * unsure[l]!) / codes).toFixed(1)}%, ${(support[l]! / codes).toFixed(2)}, ${((100 * atZero[l]!) / codes).toFixed(1)}%`);
  console.log('per depth D: normalised actions at depth D against all layers, mean / max |difference|, gripper entries on the other side of 0.5');
  for (const [j, D] of depths.entries()) console.log(`  D = ${D}: ${(diffSum[j]! / entries).toFixed(4)} / ${diffMax[j]!.toFixed(4)}, ${gripper === null ? 'n/a' : `${gripperFlips[j]} of ${gripperEntries}`}`);
} finally {
  await rm(runsRoot, { recursive: true, force: true });
}
