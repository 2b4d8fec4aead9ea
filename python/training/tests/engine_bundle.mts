// Runs an exported bundle in the engine for python/training/tests/test_vision.py: loads it (the
// tensor contract check), encodes one observation per item with the engine's ObservationEncoder,
// and decodes each item's chunk with each of the bundle's greedy strategies.
// Usage: npx tsx python/training/tests/engine_bundle.mts IN.json OUT.json
// IN: {dir, instruction, items: [{proprio: [8], images: {camera: {height, width, data: base64 RGB}}}]}
import { readFileSync, writeFileSync } from 'node:fs';
import { ObservationEncoder } from '../../../engine/bundle/observation.js';
import { BundlePolicy } from '../../../engine/policy/bundle-policy.js';
import type { CameraImage, Observation } from '../../../engine/sim/simulator.js';

interface Item {
  proprio: number[];
  images: Record<string, { height: number; width: number; data: string }>;
}
const [inFile, outFile] = process.argv.slice(2);
const { dir, instruction, items } = JSON.parse(readFileSync(inFile!, 'utf8')) as { dir: string; instruction: string; items: Item[] };
const observations: Observation[] = items.map((it) => {
  const images: Record<string, CameraImage> = {};
  for (const [name, im] of Object.entries(it.images)) images[name] = { height: im.height, width: im.width, channels: 3, data: new Uint8Array(Buffer.from(im.data, 'base64')) };
  return { proprio: Float64Array.from(it.proprio), objectPoses: new Float64Array(0), images };
});
const task = { suite: 'libero_spatial' as const, taskId: 0, instruction, objects: [] };
const out: Record<string, unknown> = {};
for (const decoding of ['autoregressive', 'speculative'] as const) {
  const policy = await BundlePolicy.load({ dir, ep: 'cpu', decoding });
  const encoder = new ObservationEncoder(policy.bundle.manifest, [], instruction);
  out.hash = policy.bundle.hash;
  out.encoded = observations.map((o) => {
    const e = encoder.encode(o);
    return { proprio: Array.from(e.proprio), instruction: [...e.instruction], images: e.images.map((im) => Array.from(im)) };
  });
  const results = await policy.inferBatch(observations.map((observation) => ({ observation, task })));
  out[decoding] = results.map((r) => Array.from(r.actions));
  await policy.close();
}
writeFileSync(outFile!, JSON.stringify(out));
