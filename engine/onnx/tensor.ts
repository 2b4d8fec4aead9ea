/**
 * Tensor element types the builder supports, and literal tensors (initializers, Constant values,
 * TENSOR attributes). The dtype names match onnxruntime's `Tensor.Type` strings, so a manifest can
 * compare them with `session.inputMetadata` directly.
 */

export type DType = 'float32' | 'int32' | 'int64' | 'bool';

/** TensorProto.DataType codes (onnx.proto3). */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9 };

/** Typed storage per dtype; bool is one byte per element, 0 or 1, as ONNX's raw_data has it. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface TensorLiteral {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = { float32: 4, int32: 4, int64: 8, bool: 1 };

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** The dtype that a typed array stands for; Uint8Array means bool (uint8 is not supported). */
export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

/** A literal tensor from typed data, checking that dims and length agree. */
export function tensorOf(data: TensorData, dims: readonly number[], label = 'tensor'): TensorLiteral {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${label}: dims must be non-negative integers, got [${dims.join(', ')}]`);
  }
  if (elementCount(dims) !== data.length) {
    throw new Error(`${label}: dims [${dims.join(', ')}] hold ${elementCount(dims)} elements but data has ${data.length}`);
  }
  return { dtype: dtypeOf(data), dims: [...dims], data };
}

// Literal constructors; dims default to 1-D. Use dims [] for a scalar.
export function float32(values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorLiteral {
  return tensorOf(Float32Array.from(values), dims);
}
export function int32(values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorLiteral {
  return tensorOf(Int32Array.from(values), dims);
}
export function int64(values: ArrayLike<number | bigint>, dims: readonly number[] = [values.length]): TensorLiteral {
  return tensorOf(BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
}
export function bool(values: ArrayLike<boolean | number>, dims: readonly number[] = [values.length]): TensorLiteral {
  return tensorOf(Uint8Array.from(Array.from(values, (v) => (v ? 1 : 0))), dims);
}

/** Little-endian element bytes for TensorProto.raw_data, independent of the host's byte order. */
export function rawBytes(t: TensorLiteral): Uint8Array {
  const size = BYTES_PER_ELEMENT[t.dtype];
  const out = new Uint8Array(t.data.length * size);
  const view = new DataView(out.buffer);
  const { data } = t;
  for (let i = 0; i < data.length; i++) {
    const at = i * size;
    if (data instanceof Float32Array) view.setFloat32(at, data[i]!, true);
    else if (data instanceof Int32Array) view.setInt32(at, data[i]!, true);
    else if (data instanceof BigInt64Array) view.setBigInt64(at, data[i]!, true);
    else out[at] = data[i] ? 1 : 0;
  }
  return out;
}
