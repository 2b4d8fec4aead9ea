/**
 * Serialises a plain description of an ONNX model to ModelProto bytes. Field numbers come from
 * onnx/onnx.proto3. Repeated scalars that onnx.proto (proto2) leaves unpacked — TensorProto.dims,
 * AttributeProto.ints/floats — are written unpacked, as the reference serialiser writes them;
 * protobuf parsers accept either form.
 */
import { ProtoWriter } from './protobuf.js';
import { ONNX_DTYPE, rawBytes, type DType, type TensorLiteral } from './tensor.js';

/** A dimension: a fixed size, a symbolic name (dim_param), or null for unknown and unnamed. */
export type Dim = number | string | null;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /** Omitted: unknown rank. [] : a scalar. */
  readonly shape?: readonly Dim[];
}

export type Attribute =
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'int'; readonly value: number | bigint }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'tensor'; readonly value: TensorLiteral }
  | { readonly name: string; readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly (number | bigint)[] };

export interface NodeSpec {
  readonly opType: string;
  readonly domain?: string;
  readonly name?: string;
  /** '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly Attribute[];
}

export interface GraphSpec {
  readonly name: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly (TensorLiteral & { readonly name: string })[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

export interface ModelSpec {
  readonly irVersion: number;
  readonly opsetImports: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly graph: GraphSpec;
}

// AttributeProto.AttributeType codes.
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, model.irVersion);
  w.string(2, model.producerName);
  if (model.producerVersion) w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const { domain, version } of model.opsetImports) {
    w.message(8, (o) => {
      if (domain) o.string(1, domain);
      o.varint(2, version);
    });
  }
  return w.finish();
}

function writeGraph(w: ProtoWriter, graph: GraphSpec): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const init of graph.initializers) w.message(5, (t) => writeTensor(t, init, init.name));
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: NodeSpec): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const attr of node.attributes) w.message(5, (a) => writeAttribute(a, attr));
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: ProtoWriter, attr: Attribute): void {
  w.string(1, attr.name);
  switch (attr.type) {
    case 'float':
      w.float(2, attr.value);
      break;
    case 'int':
      w.varint(3, attr.value);
      break;
    case 'string':
      w.string(4, attr.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, attr.value));
      break;
    case 'floats':
      for (const f of attr.value) w.float(7, f);
      break;
    case 'ints':
      for (const i of attr.value) w.varint(8, i);
      break;
  }
  w.varint(20, ATTRIBUTE_TYPE[attr.type]);
}

/** TensorProto with its elements in raw_data (little-endian). */
export function writeTensor(w: ProtoWriter, t: TensorLiteral, name?: string): void {
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, ONNX_DTYPE[t.dtype]);
  if (name) w.string(8, name);
  w.bytes(9, rawBytes(t));
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  // TypeProto.tensor_type -> TypeProto.Tensor { elem_type, shape }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, ONNX_DTYPE[info.dtype]);
      const { shape } = info;
      if (shape === undefined) return;
      // An empty TensorShapeProto (a scalar) is still written: absent would mean unknown rank.
      tensor.message(2, (s) => {
        for (const dim of shape) {
          s.message(1, (d) => {
            if (typeof dim === 'number') d.varint(1, dim);
            else if (typeof dim === 'string') d.string(2, dim);
          });
        }
      });
    }),
  );
}
