/**
 * A decoding failure, named by the thing at fault as bundle errors are: the model file and its
 * tensor (`main_step.onnx: output "logits" ...`), or the option (`draftLayers: ...`).
 */
export class DecodingError extends Error {
  constructor(
    /** The model file (or option, or bundle) at fault, as the message starts. */
    readonly subject: string,
    detail: string,
  ) {
    super(`${subject}: ${detail}`);
    this.name = 'DecodingError';
  }
}

/**
 * Refuses non-finite values in a model output. A sum is one pass with no branch per element (NaN
 * and ±inf propagate into it; float32 values cannot overflow a float64 sum of this size), and only
 * a bad sum pays for the scan that finds the first bad index.
 */
export function checkFinite(data: Float32Array, model: string, tensor: string, dims: readonly number[]): void {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  if (Number.isFinite(sum)) return;
  const at = data.findIndex((v) => !Number.isFinite(v));
  throw new DecodingError(model, `output "${tensor}" has ${data[at]} at [${unravel(at, dims).join(', ')}] (dims [${dims.join(', ')}])`);
}

/** A flat index as per-axis indices of a row-major tensor. */
function unravel(index: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(0);
  for (let axis = dims.length - 1, rest = index; axis >= 0; axis--) {
    const d = dims[axis]!;
    out[axis] = rest % d;
    rest = Math.floor(rest / d);
  }
  return out;
}
