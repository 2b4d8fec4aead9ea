import type { CheckFix } from '../api/checks.js';
import type { Manifest } from '../bundle/manifest.js';
import { upstreamBundle, upstreamManifest } from './bundle-source.js';
import type { Check } from './types.js';

/** The strategy this bundle can run instead: autoregressive on a layerwise model, else parallel. */
function switchDecoding(m: Manifest): CheckFix {
  const decoding = m.main.decoding === 'layerwise' ? 'autoregressive' : 'parallel';
  return { kind: 'action', action: { type: 'settings.set', params: { decoding } }, label: `Use ${decoding} decoding` };
}

export const bundleDraftCheck: Check = {
  id: 'bundle.draft',
  title: 'Draft model for speculative decoding',
  group: 'bundle',
  purpose: "Speculative decoding needs the bundle's draft model (it proposes the coarse code layers) and a layerwise main model (which verifies them in one pass).",
  reads: ['bundleDir', 'decoding'],
  async run(ctx) {
    const decoding = ctx.settings.settings.decoding;
    if (decoding !== 'speculative') {
      return { status: 'pass', detail: `Not needed: decoding is set to ${decoding}, and only speculative decoding uses a draft.` };
    }
    const manifest = await upstreamManifest(ctx);
    if (!manifest.ok) return manifest.outcome;
    const m = manifest.value;
    if (!m.draft) {
      return { status: 'fail', detail: `Decoding is set to speculative, but "${m.name}" has no draft model (bundle.json draft is null).`, fix: switchDecoding(m) };
    }
    if (m.main.decoding !== 'layerwise') {
      return { status: 'fail', detail: `Decoding is set to speculative, but "${m.name}" has a parallel main model: it predicts every layer in one pass, so there is nothing for a draft to save.`, fix: switchDecoding(m) };
    }
    const bundle = await upstreamBundle(ctx);
    if (!bundle.ok) return bundle.outcome;
    if (!bundle.value.sessions.draft) return { status: 'fail', detail: `"${m.name}" names ${m.draft.model} but no draft session was made.` };
    return {
      status: 'pass',
      detail: `${m.draft.model} proposes the ${m.draft.layers} coarsest of ${m.rfsq.layers} layers from the ${m.draft.reads === 'observation' ? 'observation' : "main model's hidden state"}; it loaded with its tensors checked, and the main model is layerwise. Speculative decoding can run.`,
    };
  },
};
