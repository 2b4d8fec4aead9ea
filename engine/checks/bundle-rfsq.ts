import { SeededRandom } from '../onnx/index.js';
import { loadOnnxRuntime } from '../bundle/onnxruntime.js';
import { ortErrorSentence } from '../bundle/ort-error.js';
import type { Manifest } from '../bundle/manifest.js';
import { Rfsq } from '../rfsq/index.js';
import { upstreamBundle } from './bundle-source.js';
import { message, type Check } from './types.js';

/** Three code sets over every layer: all lowest levels, all middle levels, seeded random levels. */
function probeCodes(m: Manifest): Int32Array {
  const { layers, latentSize: P, levels: L } = m.rfsq;
  const perItem = layers * P;
  const codes = new Int32Array(3 * perItem);
  const rng = new SeededRandom(7);
  for (let i = 0; i < perItem; i++) {
    codes[perItem + i] = Math.floor((L - 1) / 2);
    codes[2 * perItem + i] = Math.min(L - 1, Math.floor(rng.uniform(0, L)));
  }
  return codes;
}

export const bundleRfsqCheck: Check = {
  id: 'bundle.rfsq',
  title: 'RFSQ decoder round trip',
  group: 'bundle',
  purpose: "Codes become actions: the engine's RFSQ codec turns codes of every layer into a latent, and the bundle's decoder turns that into an action chunk.",
  reads: ['bundleDir'],
  async run(ctx) {
    const upstream = await upstreamBundle(ctx);
    if (!upstream.ok) return upstream.outcome;
    const { manifest: m, sessions } = upstream.value;
    const C = m.action.chunk;
    const D = m.action.dim;
    let latents: Float32Array;
    try {
      const codec = new Rfsq({ layers: m.rfsq.layers, levels: [m.rfsq.levels], latentDim: m.rfsq.latentSize, scales: m.rfsq.scales, bound: m.rfsq.bound });
      latents = codec.decodeBatch(probeCodes(m));
    } catch (thrown) {
      return { status: 'fail', detail: `The RFSQ codec refused bundle.json's rfsq section: ${message(thrown)}` };
    }
    const ort = loadOnnxRuntime();
    let actions: { dims: readonly number[]; data: Float32Array };
    try {
      const out = await sessions.decoder.run({ latent: new ort.Tensor('float32', latents, [3, m.rfsq.latentSize]) });
      actions = { dims: out.actions!.dims, data: out.actions!.data as Float32Array };
    } catch (thrown) {
      return { status: 'fail', detail: `${m.rfsq.decoder} failed on 3 latents: ${ortErrorSentence(thrown)}` };
    }
    const shape = `[${actions.dims.join(', ')}]`;
    if (actions.dims.length !== 3 || actions.dims[0] !== 3 || actions.dims[1] !== C || actions.dims[2] !== D) {
      return { status: 'fail', detail: `${m.rfsq.decoder} returned actions of shape ${shape}; expected [3, ${C}, ${D}] (3 latents, chunk ${C}, action dim ${D}).` };
    }
    const bad = actions.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      return { status: 'fail', detail: `${m.rfsq.decoder} returned a non-finite action value (${actions.data[bad]}) at flat index ${bad} of ${shape}.` };
    }
    const range = `${Math.min(...actions.data).toFixed(3)} to ${Math.max(...actions.data).toFixed(3)}`;
    return {
      status: 'pass',
      detail: `3 code sets (lowest, middle and random levels on all ${m.rfsq.layers} layers) → latents of ${m.rfsq.latentSize} → ${m.rfsq.decoder} → actions ${shape}, [chunk ${C}, ${D}] each, all finite (${range}).`,
    };
  },
};
