import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';

const ort = loadOnnxRuntime();

/** The same single observation repeated `batch` times (to sample one distribution many times at once). */
export function tile(obs: Record<string, Ort.Tensor>, batch: number): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(obs)) {
    const data = t.data as Float32Array | BigInt64Array;
    const tiled = new (data.constructor as Float32ArrayConstructor | BigInt64ArrayConstructor)(data.length * batch);
    for (let b = 0; b < batch; b++) (tiled as Float32Array).set(data as Float32Array, b * data.length);
    out[name] = new ort.Tensor(t.type as 'float32', tiled as Float32Array, [batch, ...t.dims.slice(1)]);
  }
  return out;
}

/** Item `b` of a batched observation, as a batch of 1. */
export function item(obs: Record<string, Ort.Tensor>, b: number): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(obs)) {
    const size = t.dims.slice(1).reduce((a, d) => a * d, 1);
    const data = (t.data as Float32Array).slice(b * size, (b + 1) * size);
    out[name] = new ort.Tensor(t.type as 'float32', data, [1, ...t.dims.slice(1)]);
  }
  return out;
}
