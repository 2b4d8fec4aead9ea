// ONNX model generation from TypeScript: graph builder, literal tensors, seeded weights.
export { GraphBuilder, Value, floatAttr, floatsAttr, type AttrValue, type Attrs, type IntsRef, type ModelOptions, type OpOptions, type ValueRef } from './builder.js';
export type { Dim, ValueInfo } from './encode.js';
export { SeededRandom } from './random.js';
export { bool, float32, int32, int64, tensorOf, type DType, type TensorData, type TensorLiteral } from './tensor.js';
