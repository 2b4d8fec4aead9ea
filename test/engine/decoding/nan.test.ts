// Non-finite logits stop decoding with an error naming the model file and the tensor, never a
// silent argmax over NaN. The models are hand-built with engine/onnx to the tiny bundle's contract.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, float32 } from '../../../engine/onnx/index.js';
import { loadBundle, type LoadedBundle } from '../../../engine/bundle/bundle.js';
import { FILES, SYNTHETIC_PRESETS, syntheticObservation, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { Decoder, DecodingError, checkFinite } from '../../../engine/decoding/index.js';

const { latentSize: P, levels: L, blocks: K, hidden: D, draftLayers: k } = SYNTHETIC_PRESETS.tiny;
const MODEL = { opset: 17, producer: 'rsd-workbench test' };

/** A main step with the tiny contract whose logits are 0/0 = NaN (its cache is well formed). */
function nanStep(): Uint8Array {
  const g = new GraphBuilder('nan_step');
  const codes = g.input('codes', 'int64', ['B', 'n', P]);
  const layerIds = g.input('layer_ids', 'int64', ['B', 'n']);
  const pastKey = g.input('past_key', 'float32', ['B', K, 'T', D]);
  const pastValue = g.input('past_value', 'float32', ['B', K, 'T', D]);
  const zeros = g.mul(g.cast(g.unsqueeze(codes, [-1]), 'float32'), g.constant(float32(new Array(L).fill(0))));
  g.output(g.div(zeros, g.scalar(0)), 'float32', ['B', 'n', P, L], 'logits');
  // [B, n] -> [B, K, n, D] of zeros: the new cache positions.
  const fresh = g.mul(g.unsqueeze(g.cast(layerIds, 'float32'), [1, 3]), g.constant(float32(new Array(K * D).fill(0), [1, K, 1, D])));
  g.output(g.concat([pastKey, fresh], 2), 'float32', ['B', K, 'T+n', D], 'present_key');
  g.output(g.concat([pastValue, fresh], 2), 'float32', ['B', K, 'T+n', D], 'present_value');
  return g.toModel(MODEL);
}

/** A draft with the tiny contract whose logits are +inf: a weight of inf times the state. */
function infDraft(): Uint8Array {
  const g = new GraphBuilder('inf_draft');
  const state = g.concat([g.input('proprio', 'float32', ['B', 8]), g.input('object_poses', 'float32', ['B', 14])], 1);
  const instruction = g.cast(g.unsqueeze(g.input('instruction', 'int64', ['B']), [1]), 'float32');
  const ones = g.add(g.mul(g.mul(g.concat([state, instruction], 1), g.scalar(0)), g.scalar(1)), g.scalar(1)); // [B, 23] of 1
  const logits = g.matmul(ones, g.initializer('w', new Float32Array(23 * k * P * L).fill(Infinity), [23, k * P * L]));
  g.output(g.reshape(logits, [0, k, P, L]), 'float32', ['B', k, P, L], 'logits');
  return g.toModel(MODEL);
}

let root: string;
const bundles: LoadedBundle[] = [];

async function tinyWith(name: string, file: string, bytes: Uint8Array): Promise<LoadedBundle> {
  const dir = path.join(root, name);
  await writeSyntheticBundle(dir, 'tiny', 3);
  await writeFile(path.join(dir, file), bytes);
  const bundle = await loadBundle(dir, { ep: 'cpu' });
  bundles.push(bundle);
  return bundle;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-nan-'));
});
afterAll(async () => {
  await Promise.all(bundles.map((b) => b.release()));
  await rm(root, { recursive: true, force: true });
});

describe('non-finite logits', () => {
  it('from the main step: an error naming main_step.onnx and "logits"', async () => {
    const bundle = await tinyWith('nan-step', FILES.step, nanStep());
    const decoder = new Decoder(bundle);
    const obs = syntheticObservation(bundle.manifest, 1, 2);
    for (const strategy of ['autoregressive', 'speculative'] as const) {
      const failure = decoder.decodeBatch(obs, { strategy });
      await expect(failure).rejects.toThrow(DecodingError);
      await expect(failure).rejects.toThrow(/^main_step\.onnx: output "logits" has NaN at \[0, 0, 0, 0\]/);
    }
  });

  it('from the draft: an error naming draft.onnx and "logits"', async () => {
    const bundle = await tinyWith('inf-draft', FILES.draft, infDraft());
    const decoder = new Decoder(bundle);
    await expect(decoder.decodeChunk(syntheticObservation(bundle.manifest, 1, 1), { strategy: 'speculative' })).rejects.toThrow(/^draft\.onnx: output "logits" has Infinity at \[0, 0, 0, 0\]/);
    // The main model alone is fine.
    await expect(decoder.decodeChunk(syntheticObservation(bundle.manifest, 1, 1), { strategy: 'autoregressive' })).resolves.toBeTruthy();
  });

  it('are located by index', () => {
    const data = new Float32Array(2 * 3 * 4);
    data[1 * 12 + 2 * 4 + 3] = -Infinity;
    expect(() => checkFinite(data, 'm.onnx', 'logits', [2, 3, 4])).toThrow('m.onnx: output "logits" has -Infinity at [1, 2, 3] (dims [2, 3, 4])');
    expect(() => checkFinite(new Float32Array(5), 'm.onnx', 'logits', [5])).not.toThrow();
  });
});
