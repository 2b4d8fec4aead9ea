/**
 * A small typed builder for ONNX graphs, so test model bundles can be generated from TypeScript
 * (no Python onnx here). It checks names as the graph is built — an op that references a value no
 * one has defined throws at once, naming it — and leaves type and shape checking to onnxruntime.
 *
 *   const g = new GraphBuilder('mlp');
 *   const x = g.input('obs', 'float32', ['batch', 16]);
 *   const h = g.relu(g.add(g.matmul(x, g.initializer('w1', w1, [16, 32])), g.initializer('b1', b1, [32])));
 *   g.output(h, 'float32', ['batch', 32], 'features');
 *   const bytes = g.toModel({ opset: 17, producer: 'rsd-workbench' });
 *
 * The helpers emit the opset 13–17 forms of each op (e.g. Unsqueeze axes as an input, ReduceMean
 * axes as an attribute); toModel refuses an opset that a helper's form does not fit.
 */
import { encodeModel, type Attribute, type Dim, type NodeSpec, type ValueInfo } from './encode.js';
import { float32, int32, int64, tensorOf, type DType, type TensorData, type TensorLiteral } from './tensor.js';

/** A named value of one graph: a graph input, an initializer or a node output. */
export class Value {
  constructor(
    readonly graph: GraphBuilder,
    readonly name: string,
  ) {}

  toString(): string {
    return this.name;
  }
}

/** A value, or the name of one. */
export type ValueRef = Value | string;
/** An int64 operand (a shape, axes, starts...): a value, or numbers that become a Constant. */
export type IntsRef = ValueRef | readonly number[];

// Attribute values. A plain number is an INT (and must be an integer); floats say so explicitly,
// because onnxruntime rejects an INT where the schema wants a FLOAT (epsilon=1, alpha=1...).
export interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
}
export interface FloatsAttr {
  readonly kind: 'floats';
  readonly value: readonly number[];
}
export const floatAttr = (value: number): FloatAttr => ({ kind: 'float', value });
export const floatsAttr = (value: readonly number[]): FloatsAttr => ({ kind: 'floats', value: [...value] });

export type AttrValue = number | bigint | readonly number[] | string | TensorLiteral | FloatAttr | FloatsAttr;
/** Attributes by name; undefined entries are left out, which keeps optional ones tidy. */
export type Attrs = Readonly<Record<string, AttrValue | undefined>>;

export interface OpOptions {
  /** Name of the output value; generated from the op type when omitted. */
  readonly name?: string;
  readonly domain?: string;
}

export interface ModelOptions {
  /** Default-domain opset. Default 17. */
  readonly opset?: number;
  /** Default: the IR version that shipped with that opset (8 for opset 17). */
  readonly irVersion?: number;
  readonly producer?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** Versions of non-default domains used by nodes; default 1. */
  readonly domainVersions?: Readonly<Record<string, number>>;
}

interface BuiltNode extends NodeSpec {
  /** The opset range whose semantics this node was written for. */
  readonly minOpset?: number;
  readonly maxOpset?: number;
}

interface OpsetRange {
  readonly minOpset?: number;
  readonly maxOpset?: number;
}

export class GraphBuilder {
  private readonly names = new Set<string>();
  private readonly nodes: BuiltNode[] = [];
  private readonly initializers: (TensorLiteral & { name: string })[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** The declared graph inputs and outputs, e.g. to write a bundle manifest from. */
  signature(): { inputs: ValueInfo[]; outputs: ValueInfo[] } {
    const copy = (v: ValueInfo): ValueInfo => ({ ...v, ...(v.shape && { shape: [...v.shape] }) });
    return { inputs: this.inputs.map(copy), outputs: this.outputs.map(copy) };
  }

  // ---- declarations ----

  input(name: string, dtype: DType, shape?: readonly Dim[]): Value {
    this.inputs.push(valueInfo(this.declare(name, 'input'), dtype, shape));
    return new Value(this, name);
  }

  /** A named constant tensor stored in the model (weights). Dims default to 1-D. */
  initializer(name: string, data: TensorData | TensorLiteral, dims?: readonly number[]): Value {
    const label = `initializer '${name}'`;
    const t = 'dtype' in data ? (dims ? tensorOf(data.data, dims, label) : data) : tensorOf(data, dims ?? [data.length], label);
    this.initializers.push({ ...t, name: this.declare(name, 'initializer') });
    return new Value(this, name);
  }

  /** Marks a value as a graph output; a different `name` adds an Identity to carry it. */
  output(value: ValueRef, dtype: DType, shape?: readonly Dim[], name?: string): Value {
    let out = this.resolve(value, 'output');
    if (name !== undefined && name !== out) out = this.op('Identity', [out], {}, { name }).name;
    if (this.outputs.some((o) => o.name === out)) throw new Error(`output: '${out}' is already a graph output`);
    this.outputs.push(valueInfo(out, dtype, shape));
    return new Value(this, out);
  }

  // ---- nodes ----

  /** A node with one output. Inputs may be null for omitted optional inputs. */
  op(opType: string, inputs: readonly (ValueRef | null)[], attrs: Attrs = {}, options: OpOptions = {}): Value {
    const [out] = this.emit(opType, inputs, [options.name], attrs, options);
    return out!;
  }

  /** A node with several outputs, given as a count (generated names) or as names. */
  opMulti(opType: string, inputs: readonly (ValueRef | null)[], outputs: number | readonly string[], attrs: Attrs = {}, options: Omit<OpOptions, 'name'> = {}): Value[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => undefined) : outputs;
    return this.emit(opType, inputs, names, attrs, options);
  }

  /** A Constant node holding `t` (small shapes, axes, scalars). */
  constant(t: TensorLiteral, options: OpOptions = {}): Value {
    return this.op('Constant', [], { value: t }, options);
  }
  /** A 1-D int64 constant. */
  ints(values: readonly number[]): Value {
    return this.constant(int64(values));
  }
  /** A scalar constant (dims []). */
  scalar(value: number, dtype: 'float32' | 'int32' | 'int64' = 'float32'): Value {
    const make = { float32, int32, int64 }[dtype];
    return this.constant(make([value], []));
  }

  // ---- op helpers (opset 13–17 forms) ----

  matmul(a: ValueRef, b: ValueRef): Value {
    return this.op('MatMul', [a, b]);
  }
  gemm(a: ValueRef, b: ValueRef, c?: ValueRef, o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {}): Value {
    return this.op('Gemm', [a, b, c ?? null], {
      alpha: o.alpha === undefined ? undefined : floatAttr(o.alpha),
      beta: o.beta === undefined ? undefined : floatAttr(o.beta),
      transA: o.transA ? 1 : undefined,
      transB: o.transB ? 1 : undefined,
    });
  }
  add(a: ValueRef, b: ValueRef): Value {
    return this.op('Add', [a, b]);
  }
  sub(a: ValueRef, b: ValueRef): Value {
    return this.op('Sub', [a, b]);
  }
  mul(a: ValueRef, b: ValueRef): Value {
    return this.op('Mul', [a, b]);
  }
  div(a: ValueRef, b: ValueRef): Value {
    return this.op('Div', [a, b]);
  }
  relu(x: ValueRef): Value {
    return this.op('Relu', [x]);
  }
  tanh(x: ValueRef): Value {
    return this.op('Tanh', [x]);
  }
  sigmoid(x: ValueRef): Value {
    return this.op('Sigmoid', [x]);
  }
  erf(x: ValueRef): Value {
    return this.op('Erf', [x]);
  }
  /** Exact GELU, 0.5·x·(1 + erf(x/√2)), built from Erf (the Gelu op only arrives in opset 20). */
  gelu(x: ValueRef): Value {
    const inner = this.erf(this.mul(x, this.scalar(Math.SQRT1_2)));
    return this.mul(this.mul(x, this.scalar(0.5)), this.add(inner, this.scalar(1)));
  }
  softmax(x: ValueRef, axis = -1): Value {
    return this.emitOne('Softmax', [x], { axis }, { minOpset: 13 });
  }
  layerNorm(x: ValueRef, scale: ValueRef, bias?: ValueRef, o: { axis?: number; epsilon?: number } = {}): Value {
    return this.emitOne('LayerNormalization', [x, scale, bias ?? null], { axis: o.axis ?? -1, epsilon: floatAttr(o.epsilon ?? 1e-5) }, { minOpset: 17 });
  }
  reshape(x: ValueRef, shape: IntsRef): Value {
    return this.op('Reshape', [x, this.intsRef(shape)]);
  }
  transpose(x: ValueRef, perm: readonly number[]): Value {
    return this.op('Transpose', [x], { perm });
  }
  concat(values: readonly ValueRef[], axis: number): Value {
    return this.op('Concat', values, { axis });
  }
  slice(x: ValueRef, starts: IntsRef, ends: IntsRef, axes?: IntsRef, steps?: IntsRef): Value {
    const opt = (r?: IntsRef) => (r === undefined ? null : this.intsRef(r));
    return this.emitOne('Slice', [x, this.intsRef(starts), this.intsRef(ends), opt(axes), opt(steps)], {}, { minOpset: 10 });
  }
  gather(data: ValueRef, indices: ValueRef, axis = 0): Value {
    return this.op('Gather', [data, indices], { axis });
  }
  unsqueeze(x: ValueRef, axes: IntsRef): Value {
    return this.emitOne('Unsqueeze', [x, this.intsRef(axes)], {}, { minOpset: 13 });
  }
  squeeze(x: ValueRef, axes?: IntsRef): Value {
    return this.emitOne('Squeeze', [x, axes === undefined ? null : this.intsRef(axes)], {}, { minOpset: 13 });
  }
  argmax(x: ValueRef, axis: number, keepdims = true): Value {
    return this.op('ArgMax', [x], { axis, keepdims: keepdims ? 1 : 0 });
  }
  reduceMean(x: ValueRef, axes: readonly number[], keepdims = true): Value {
    return this.emitOne('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 }, { maxOpset: 17 });
  }
  cast(x: ValueRef, to: DType): Value {
    return this.op('Cast', [x], { to: CAST_TO[to] });
  }
  shape(x: ValueRef, o: { start?: number; end?: number } = {}): Value {
    return this.emitOne('Shape', [x], { start: o.start, end: o.end }, o.start !== undefined || o.end !== undefined ? { minOpset: 15 } : {});
  }
  where(condition: ValueRef, a: ValueRef, b: ValueRef): Value {
    return this.op('Where', [condition, a, b]);
  }
  equal(a: ValueRef, b: ValueRef): Value {
    return this.op('Equal', [a, b]);
  }
  expand(x: ValueRef, shape: IntsRef): Value {
    return this.op('Expand', [x, this.intsRef(shape)]);
  }
  identity(x: ValueRef, options: OpOptions = {}): Value {
    return this.op('Identity', [x], {}, options);
  }

  // ---- serialisation ----

  /** The ModelProto bytes. Pure: the same graph gives the same bytes every time. */
  toModel(options: ModelOptions = {}): Uint8Array {
    const opset = options.opset ?? 17;
    if (this.outputs.length === 0) throw new Error(`graph '${this.name}' has no outputs`);
    for (const node of this.nodes) {
      if (node.minOpset !== undefined && opset < node.minOpset) throw new Error(`${node.name}: this form of ${node.opType} needs opset >= ${node.minOpset}, model opset is ${opset}`);
      if (node.maxOpset !== undefined && opset > node.maxOpset) throw new Error(`${node.name}: this form of ${node.opType} needs opset <= ${node.maxOpset}, model opset is ${opset}`);
    }
    const domains = [...new Set(this.nodes.map((n) => n.domain ?? '').filter((d) => d !== ''))].sort();
    return encodeModel({
      irVersion: options.irVersion ?? irVersionFor(opset),
      opsetImports: [{ domain: '', version: opset }, ...domains.map((domain) => ({ domain, version: options.domainVersions?.[domain] ?? 1 }))],
      producerName: options.producer ?? 'rsd-workbench',
      ...(options.producerVersion !== undefined && { producerVersion: options.producerVersion }),
      ...(options.docString !== undefined && { docString: options.docString }),
      graph: {
        name: this.name,
        nodes: this.nodes.map(({ minOpset: _min, maxOpset: _max, ...node }) => node),
        initializers: this.initializers,
        inputs: this.inputs,
        outputs: this.outputs,
      },
    });
  }

  // ---- internals ----

  private emitOne(opType: string, inputs: readonly (ValueRef | null)[], attrs: Attrs, range: OpsetRange): Value {
    return this.emit(opType, inputs, [undefined], attrs, range)[0]!;
  }

  private emit(opType: string, inputs: readonly (ValueRef | null)[], outputNames: readonly (string | undefined)[], attrs: Attrs, options: OpOptions & OpsetRange): Value[] {
    const nodeName = `${opType}_${this.nodes.length}`;
    // Resolve inputs before declaring outputs, so a node cannot consume its own output.
    const inputNames = inputs.map((ref, i) => (ref === null ? '' : this.resolve(ref, `${nodeName} input ${i}`)));
    while (inputNames.at(-1) === '') inputNames.pop(); // trailing omitted inputs are simply absent
    const attributes = toAttributes(attrs, nodeName);
    const outputs = outputNames.map((n) => this.declare(n ?? this.fresh(opType.toLowerCase()), `${nodeName} output`));
    this.nodes.push({
      opType,
      name: nodeName,
      inputs: inputNames,
      outputs,
      attributes,
      ...(options.domain && { domain: options.domain }),
      ...(options.minOpset !== undefined && { minOpset: options.minOpset }),
      ...(options.maxOpset !== undefined && { maxOpset: options.maxOpset }),
    });
    return outputs.map((n) => new Value(this, n));
  }

  private intsRef(ref: IntsRef): ValueRef {
    return typeof ref === 'string' || ref instanceof Value ? ref : this.ints(ref);
  }

  private resolve(ref: ValueRef, where: string): string {
    if (ref instanceof Value && ref.graph !== this) throw new Error(`${where}: value '${ref.name}' belongs to graph '${ref.graph.name}', not '${this.name}'`);
    const name = typeof ref === 'string' ? ref : ref.name;
    if (!this.names.has(name)) throw new Error(`${where}: unknown value '${name}'`);
    return name;
  }

  private declare(name: string, what: string): string {
    if (typeof name !== 'string' || name === '') throw new Error(`${what}: value names must be non-empty strings`);
    if (this.names.has(name)) throw new Error(`${what}: value name '${name}' is already defined`);
    this.names.add(name);
    return name;
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }
}

// Cast's `to` attribute takes TensorProto.DataType codes.
const CAST_TO: Readonly<Record<DType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9 };

/** The IR version released alongside an opset (onnx/docs/Versioning.md). */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

function valueInfo(name: string, dtype: DType, shape: readonly Dim[] | undefined): ValueInfo {
  if (shape === undefined) return { name, dtype };
  for (const d of shape) {
    const ok = d === null || (typeof d === 'number' ? Number.isSafeInteger(d) && d >= 0 : typeof d === 'string' && d !== '');
    if (!ok) throw new Error(`'${name}': dimensions must be non-negative integers, non-empty names or null, got ${JSON.stringify(d)}`);
  }
  return { name, dtype, shape: [...shape] };
}

function toAttributes(attrs: Attrs, where: string): Attribute[] {
  const out: Attribute[] = [];
  for (const [name, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    const bad = (why: string) => new Error(`${where}: attribute '${name}' ${why}`);
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw bad(`is ${v}, not an integer; wrap float attributes in floatAttr()`);
      out.push({ name, type: 'int', value: v });
    } else if (typeof v === 'bigint') out.push({ name, type: 'int', value: v });
    else if (typeof v === 'string') out.push({ name, type: 'string', value: v });
    else if (Array.isArray(v)) {
      const ints = v as readonly number[];
      if (!ints.every((i) => Number.isSafeInteger(i))) throw bad('holds a non-integer; wrap float lists in floatsAttr()');
      out.push({ name, type: 'ints', value: [...ints] });
    } else if ('kind' in v) out.push(v.kind === 'float' ? { name, type: 'float', value: v.value } : { name, type: 'floats', value: v.value });
    else out.push({ name, type: 'tensor', value: v as TensorLiteral });
  }
  return out;
}
