import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { GraphBuilder } from '../../../engine/onnx/index.js';

/**
 * A synthetic bundle whose RFSQ decoder is replaced by one that outputs NaN for every latent (its
 * weights are NaN): the bundle loads and decodes, and every chunk's actions are refused as
 * non-finite, so every episode ends in an error.
 */
export async function writeNanDecoderBundle(dir: string): Promise<void> {
  const bundle = await writeSyntheticBundle(dir, 'tiny-parallel', 1);
  const { latentSize } = bundle.manifest.rfsq;
  const chunk = bundle.manifest.action.chunk;
  const g = new GraphBuilder('nan_rfsq_decoder');
  const latent = g.input('latent', 'float32', ['B', latentSize]);
  const y = g.matmul(latent, g.initializer('nan.w', new Float32Array(latentSize * chunk * 7).fill(NaN), [latentSize, chunk * 7]));
  g.output(g.reshape(y, [0, chunk, 7]), 'float32', ['B', chunk, 7], 'actions');
  await writeFile(path.join(dir, FILES.decoder), g.toModel({ opset: 17, producer: 'rsd-workbench test' }));
}
