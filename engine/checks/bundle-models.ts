import { bundleSource, sharedBundle, upstreamManifest } from './bundle-source.js';
import { message, type Check } from './types.js';

export const bundleModelsCheck: Check = {
  id: 'bundle.models',
  title: 'Bundle models load',
  group: 'bundle',
  purpose: "Every ONNX model of the bundle opens in onnxruntime, and each input and output matches the manifest's name, type and shape.",
  reads: ['bundleDir'],
  async run(ctx) {
    const upstream = await upstreamManifest(ctx);
    if (!upstream.ok) return upstream.outcome;
    try {
      const bundle = await sharedBundle(ctx, upstream.dir);
      const files = bundle.models.map((m) => `${m.file} (${m.role})`).join(', ');
      return { status: 'pass', detail: `${bundle.models.length} models loaded on the CPU with every tensor as the manifest says: ${files}. Content hash ${bundle.hash.slice(0, 12)}….` };
    } catch (thrown) {
      const source = bundleSource(ctx);
      return {
        status: 'fail',
        detail: `${message(thrown)}`,
        fix: { kind: 'setting', setting: 'bundleDir', hint: `Re-export the named model as docs/bundle-format.md describes, or choose another bundle folder (now ${source.kind === 'dir' ? source.dir : 'none'}).` },
      };
    }
  },
};
