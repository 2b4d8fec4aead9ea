import type { CheckFix } from '../api/checks.js';
import type { Manifest } from '../bundle/manifest.js';
import { bundleSource, defaultBundleDir, isFolder, sharedManifest } from './bundle-source.js';
import { describeRefusals, taskFit } from './bundle-tasks.js';
import { message, type Check } from './types.js';

const chooseFolder = (hint: string): CheckFix => ({ kind: 'setting', setting: 'bundleDir', hint });
const FORMAT = 'A folder with bundle.json and the ONNX files it names (docs/bundle-format.md).';

export const bundleManifestCheck: Check = {
  id: 'bundle.manifest',
  title: 'Model bundle',
  group: 'bundle',
  purpose: "The policy to evaluate: a folder with bundle.json (action space, RFSQ codec, observation inputs, main and draft models) and its ONNX files; its observed objects and instructions must match the project's tasks.",
  reads: ['bundleDir'],
  async run(ctx) {
    const source = bundleSource(ctx);
    if (source.kind === 'none') {
      return {
        status: 'warn',
        detail: `No model bundle: none is chosen and the default bundle is missing from this install (${defaultBundleDir()}). Choose a bundle folder.`,
        fix: chooseFolder(FORMAT),
      };
    }
    const where = `${source.dir} (${source.origin})`;
    if (!isFolder(source.dir)) return { status: 'fail', detail: `The bundle folder ${where} does not exist or is not a folder.`, fix: chooseFolder(FORMAT) };
    let manifest: Manifest;
    try {
      ({ manifest } = await sharedManifest(ctx, source.dir));
    } catch (thrown) {
      return { status: 'fail', detail: `${message(thrown)} (bundle folder ${source.dir}).`, fix: chooseFolder(`Fix bundle.json (docs/bundle-format.md) or choose another folder. ${FORMAT}`) };
    }
    const detail = `"${manifest.name}" in ${where}: ${describe(manifest)}`;
    // The tasks it can act on, as `rsd eval` decides (one observation encoder per task).
    const fits = taskFit(manifest);
    const refused = describeRefusals(fits);
    const synthetic = manifest.provenance.synthetic === true ? ' Its weights are synthetic (provenance.synthetic): a test bundle, not a trained policy, so expect no task success.' : '';
    if (refused && fits.every((f) => f.fine.length === 0)) {
      return { status: 'fail', detail: `${detail} ${refused}`, fix: chooseFolder(`Choose a bundle trained on the project's tasks. ${FORMAT}`) };
    }
    if (refused || synthetic) return { status: 'warn', detail: `${detail}${refused ? ` ${refused}` : ''}${synthetic}` };
    return { status: 'pass', detail };
  },
};

function describe(m: Manifest): string {
  const main = m.main.decoding === 'parallel' ? 'parallel main model (all layers in one pass)' : `layerwise main model${m.main.kvCache ? ' with a KV cache' : ''}`;
  const draft = m.draft ? `a draft for the ${m.draft.layers} coarsest layers` : 'no draft';
  return `${main}, ${draft}; RFSQ ${m.rfsq.layers} layers × ${m.rfsq.levels} levels, latent ${m.rfsq.latentSize}; actions in chunks of ${m.action.chunk} × ${m.action.dim}; ${m.observation.kind}-based observations.`;
}
