import { describe, expect, it } from 'vitest';
import { GraphBuilder, bool, floatAttr, int64 } from '../../../engine/onnx/index.js';
import { buildMlp } from './fixtures.js';
import { f32, nd, ort, runModel } from './reference.js';

describe('GraphBuilder checks names at build time', () => {
  it('names an unknown input value and the node that wanted it', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2]);
    expect(() => g.op('MatMul', [x, 'weights'])).toThrow(/MatMul_0 input 1: unknown value 'weights'/);
    expect(() => g.add('nope', x)).toThrow(/unknown value 'nope'/);
    expect(() => g.output('missing', 'float32', [2])).toThrow(/output: unknown value 'missing'/);
  });

  it('rejects a value from another graph', () => {
    const other = new GraphBuilder('other');
    const y = other.input('y', 'float32', [2]);
    const g = new GraphBuilder('g');
    g.input('y', 'float32', [2]); // same name, different graph
    expect(() => g.relu(y)).toThrow(/value 'y' belongs to graph 'other', not 'g'/);
  });

  it('rejects duplicate names', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2]);
    expect(() => g.initializer('x', new Float32Array(2))).toThrow(/value name 'x' is already defined/);
    g.relu(x);
    expect(() => g.op('Relu', [x], {}, { name: 'x' })).toThrow(/'x' is already defined/);
    g.output(x, 'float32', [2]);
    expect(() => g.output(x, 'float32', [2])).toThrow(/'x' is already a graph output/);
  });

  it('generates unique names that skip declared ones', () => {
    const g = new GraphBuilder('g');
    const x = g.input('relu_0', 'float32', [2]);
    const a = g.relu(x);
    const b = g.relu(a);
    expect([a.name, b.name]).toEqual(['relu_1', 'relu_2']);
  });

  it('checks attributes, dims and initializer sizes', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2]);
    expect(() => g.op('LeakyRelu', [x], { alpha: 0.1 })).toThrow(/attribute 'alpha' is 0.1, not an integer; wrap float attributes in floatAttr/);
    expect(() => g.op('LeakyRelu', [x], { alpha: floatAttr(0.1) })).not.toThrow();
    expect(() => g.input('bad', 'float32', [-1])).toThrow(/dimensions must be/);
    expect(() => g.initializer('w', new Float32Array(5), [2, 3])).toThrow(/initializer 'w': dims \[2, 3\] hold 6 elements but data has 5/);
  });

  it('refuses models without outputs and opsets that a helper form does not fit', () => {
    expect(() => new GraphBuilder('empty').toModel()).toThrow(/graph 'empty' has no outputs/);
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', ['n', 4]);
    g.output(g.layerNorm(x, g.initializer('s', new Float32Array(4))), 'float32', ['n', 4]);
    expect(() => g.toModel({ opset: 16 })).toThrow(/LayerNormalization needs opset >= 17/);
    g.output(g.reduceMean(x, [1]), 'float32', ['n', 1]);
    expect(() => g.toModel({ opset: 18 })).toThrow(/ReduceMean needs opset <= 17/);
    expect(() => g.toModel({ opset: 17 })).not.toThrow();
  });
});

describe('GraphBuilder output', () => {
  it('is byte-identical across builds with the same seed', () => {
    const a = buildMlp(7).bytes;
    const b = buildMlp(7).bytes;
    expect(a.length).toBeGreaterThan(2000);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(buildMlp(8).bytes))).toBe(false);
  });

  it('toModel is pure', () => {
    const g = new GraphBuilder('g');
    g.output(g.relu(g.input('x', 'float32', ['n'])), 'float32', ['n'], 'y');
    expect(Buffer.from(g.toModel()).equals(Buffer.from(g.toModel()))).toBe(true);
  });

  it('renames an output through Identity, even a graph input', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2]);
    g.output(x, 'float32', [2], 'same');
    const { same } = await runModel(g.toModel(), { x: f32(nd([1, -2], [2])) });
    expect(Array.from(same!.data as Float32Array)).toEqual([1, -2]);
  });

  it('accepts TENSOR attributes (Constant) of every dtype and omitted optional inputs', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', ['n']);
    // Slice with steps but no axes (so axis 0): the omitted input is written as ''.
    g.output(g.slice(x, [0], [100], undefined, [2]), 'float32', ['half'], 'every_other');
    g.output(g.constant(int64([-1, 2 ** 40], [2])), 'int64', [2], 'big');
    g.output(g.cast(g.constant(bool([true, false])), 'int32'), 'int32', [2], 'flags');
    const out = await runModel(g.toModel(), { x: f32(nd([1, 2, 3, 4, 5, 6], [6])) });
    expect(Array.from(out.every_other!.data as Float32Array)).toEqual([1, 3, 5]);
    expect(Array.from(out.big!.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
    expect(Array.from(out.flags!.data as Int32Array)).toEqual([1, 0]);
  });
  it('builds multi-output nodes with opMulti', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [5]);
    const [head, tail] = g.opMulti('Split', [x, g.ints([2, 3])], ['head', 'tail'], { axis: 0 });
    g.output(head!, 'float32', [2]);
    g.output(tail!, 'float32', [3]);
    const out = await runModel(g.toModel(), { x: f32(nd([1, 2, 3, 4, 5], [5])) });
    expect(Array.from(out.head!.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(out.tail!.data as Float32Array)).toEqual([3, 4, 5]);
  });
});

describe('onnxruntime session metadata', () => {
  it('reports the declared names, dtypes and shapes', async () => {
    const g = new GraphBuilder('io');
    const obs = g.input('obs', 'float32', ['batch', 16]);
    const ids = g.input('ids', 'int64', ['batch', null]);
    const flag = g.input('flag', 'bool', []);
    g.input('unranked', 'int32');
    g.output(g.relu(obs), 'float32', ['batch', 16], 'features');
    g.output(g.argmax(g.cast(ids, 'float32'), 1, false), 'int64', ['batch'], 'best');
    g.output(g.cast(flag, 'int32'), 'int32', [], 'flag_int');
    const session = await ort().InferenceSession.create(g.toModel());
    try {
      expect(session.inputNames).toEqual(['obs', 'ids', 'flag', 'unranked']);
      expect(session.outputNames).toEqual(['features', 'best', 'flag_int']);
      // Symbolic dims come back as their names, unnamed dynamic dims as '', and a scalar and an
      // unknown rank both as []; types use onnxruntime's Tensor.Type strings.
      expect(session.inputMetadata).toEqual([
        { name: 'obs', isTensor: true, type: 'float32', shape: ['batch', 16] },
        { name: 'ids', isTensor: true, type: 'int64', shape: ['batch', ''] },
        { name: 'flag', isTensor: true, type: 'bool', shape: [] },
        { name: 'unranked', isTensor: true, type: 'int32', shape: [] },
      ]);
      expect(session.outputMetadata).toEqual([
        { name: 'features', isTensor: true, type: 'float32', shape: ['batch', 16] },
        { name: 'best', isTensor: true, type: 'int64', shape: ['batch'] },
        { name: 'flag_int', isTensor: true, type: 'int32', shape: [] },
      ]);
      // The builder's signature matches what the session reports (null dims read back as '').
      const { inputs, outputs } = g.signature();
      const asSession = (v: (typeof inputs)[number]) => ({ name: v.name, isTensor: true, type: v.dtype, shape: (v.shape ?? []).map((d) => d ?? '') });
      expect(session.inputMetadata).toEqual(inputs.map(asSession));
      expect(session.outputMetadata).toEqual(outputs.map(asSession));
    } finally {
      await session.release();
    }
  });
});
