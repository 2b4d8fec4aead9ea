// Models shared by several ONNX builder tests.
import { GraphBuilder, SeededRandom } from '../../../engine/onnx/index.js';

/** A 2-layer MLP with a dynamic batch: obs[batch,16] -> 32 (ReLU) -> action[batch,8]. */
export function buildMlp(seed: number) {
  const rng = new SeededRandom(seed);
  const w = { w1: rng.normals(16 * 32, 0.25), b1: rng.normals(32, 0.1), w2: rng.normals(32 * 8, 0.25), b2: rng.normals(8, 0.1) };
  const g = new GraphBuilder('mlp');
  const x = g.input('obs', 'float32', ['batch', 16]);
  const h = g.relu(g.add(g.matmul(x, g.initializer('w1', w.w1, [16, 32])), g.initializer('b1', w.b1)));
  const y = g.add(g.matmul(h, g.initializer('w2', w.w2, [32, 8])), g.initializer('b2', w.b2));
  g.output(y, 'float32', ['batch', 8], 'action');
  return { bytes: g.toModel({ opset: 17, producer: 'rsd-workbench' }), w };
}
