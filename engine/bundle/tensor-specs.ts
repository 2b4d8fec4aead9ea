import type { Manifest } from './manifest.js';

/**
 * The tensors each model of a bundle must declare, derived from the manifest (the tables of
 * docs/bundle-format.md), and the check of a loaded session against them. Names and layouts are
 * fixed by the format; the manifest supplies the sizes.
 */

export type ModelRole = 'decoder' | 'parallel' | 'prefill' | 'step' | 'draft';
export type TensorDType = 'float32' | 'int64';

/**
 * One dimension: `fixed` must equal `size`; `dynamic` must be symbolic (any name: exporters choose
 * their own); `free` may be either (the prefill's context length T0, which the manifest leaves to
 * the model).
 */
export type DimSpec = { kind: 'fixed'; size: number } | { kind: 'dynamic'; label: string } | { kind: 'free'; label: string };

export interface TensorSpec {
  name: string;
  dtype: TensorDType;
  shape: DimSpec[];
}

export interface ModelSpec {
  role: ModelRole;
  file: string;
  /** Where the manifest names the file, for messages. */
  field: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

const fixed = (size: number): DimSpec => ({ kind: 'fixed', size });
const dyn = (label: string): DimSpec => ({ kind: 'dynamic', label });
const B = dyn('B');
const tensor = (name: string, dtype: TensorDType, shape: DimSpec[]): TensorSpec => ({ name, dtype, shape });

/** The observation inputs the manifest implies, no more, no fewer. */
export function observationInputs(m: Manifest): TensorSpec[] {
  const obs = m.observation;
  const specs = [tensor('proprio', 'float32', [B, fixed(obs.proprio.dim)])];
  const entities = obs.objectPoses.entities.length;
  if (entities > 0) specs.push(tensor('object_poses', 'float32', [B, fixed(7 * entities)]));
  const instruction = obs.instruction;
  if (instruction.kind === 'task-index') specs.push(tensor('instruction', 'int64', [B]));
  else specs.push(tensor('instruction_tokens', 'int64', [B, fixed(instruction.maxLength)]));
  if (obs.kind === 'vision') {
    for (const c of obs.cameras) specs.push(tensor(`image_${c.name}`, 'float32', [B, fixed(3), fixed(c.height), fixed(c.width)]));
  }
  return specs;
}

/** Every model of the bundle in content-hash order: decoder, main (parallel | prefill, step), draft. */
export function expectedModels(m: Manifest): ModelSpec[] {
  const P = fixed(m.rfsq.latentSize);
  const L = fixed(m.rfsq.levels);
  const obs = observationInputs(m);
  const models: ModelSpec[] = [
    {
      role: 'decoder',
      file: m.rfsq.decoder,
      field: 'rfsq.decoder',
      inputs: [tensor('latent', 'float32', [B, P])],
      outputs: [tensor('actions', 'float32', [B, fixed(m.action.chunk), fixed(m.action.dim)])],
    },
  ];

  const main = m.main;
  if (main.decoding === 'parallel') {
    models.push({ role: 'parallel', file: main.model, field: 'main.model', inputs: obs, outputs: [tensor('logits', 'float32', [B, fixed(m.rfsq.layers), P, L])] });
  } else {
    const n = dyn('n');
    const codes = [tensor('codes', 'int64', [B, n, P]), tensor('layer_ids', 'int64', [B, n])];
    const logits = tensor('logits', 'float32', [B, n, P, L]);
    if (main.kvCache && main.prefill) {
      const cache = (name: string, t: DimSpec) => tensor(name, 'float32', [B, fixed(main.blocks), t, fixed(main.kvSize)]);
      const T0: DimSpec = { kind: 'free', label: 'T0' };
      models.push({
        role: 'prefill',
        file: main.prefill,
        field: 'main.prefill',
        inputs: obs,
        outputs: [tensor('hidden', 'float32', [B, fixed(main.hiddenSize)]), cache('past_key', T0), cache('past_value', T0)],
      });
      models.push({
        role: 'step',
        file: main.step,
        field: 'main.step',
        inputs: [...codes, cache('past_key', dyn('T')), cache('past_value', dyn('T'))],
        outputs: [logits, cache('present_key', dyn('T+n')), cache('present_value', dyn('T+n'))],
      });
    } else {
      models.push({ role: 'step', file: main.step, field: 'main.step', inputs: [...obs, ...codes], outputs: [logits] });
    }
  }

  const draft = m.draft;
  if (draft) {
    const reads = draft.reads === 'observation' || m.main.decoding !== 'layerwise' ? obs : [tensor('hidden', 'float32', [B, fixed(m.main.hiddenSize)])];
    models.push({ role: 'draft', file: draft.model, field: 'draft.model', inputs: reads, outputs: [tensor('logits', 'float32', [B, fixed(draft.layers), P, L])] });
  }
  return models;
}

// ---- checking a session ----

/** What onnxruntime reports for one input or output (InferenceSession.ValueMetadata). */
export type FoundValue = { name: string; isTensor: false } | { name: string; isTensor: true; type: string; shape: ReadonlyArray<number | string> };

export interface SessionSignature {
  readonly inputMetadata: readonly FoundValue[];
  readonly outputMetadata: readonly FoundValue[];
}

/** The first way the session differs from the spec, as a sentence, or null when it matches. */
export function signatureMismatch(spec: ModelSpec, session: SessionSignature): string | null {
  return sideMismatch('input', spec.inputs, session.inputMetadata) ?? sideMismatch('output', spec.outputs, session.outputMetadata);
}

function sideMismatch(side: 'input' | 'output', expected: TensorSpec[], found: readonly FoundValue[]): string | null {
  const byName = new Map(found.map((v) => [v.name, v]));
  for (const spec of expected) {
    const value = byName.get(spec.name);
    if (!value) return `${side} "${spec.name}" is missing (expected ${formatSpec(spec)}); the model's ${side}s are ${list(found.map((v) => v.name))}`;
    if (!value.isTensor) return `${side} "${spec.name}": expected ${formatSpec(spec)}, found a non-tensor value`;
    if (!tensorMatches(spec, value.type, value.shape)) return `${side} "${spec.name}": expected ${formatSpec(spec)}, found ${formatFound(value.type, value.shape)}`;
  }
  // Exactly the contract's tensors: an extra input could not be fed, an extra output is unchecked work.
  const extra = found.find((v) => !expected.some((s) => s.name === v.name));
  if (extra) return `unexpected ${side} "${extra.name}"; the format's ${side}s here are ${list(expected.map((s) => s.name))}`;
  return null;
}

function tensorMatches(spec: TensorSpec, type: string, shape: ReadonlyArray<number | string>): boolean {
  if (type !== spec.dtype || shape.length !== spec.shape.length) return false;
  return spec.shape.every((d, i) => {
    const f = shape[i];
    if (d.kind === 'fixed') return f === d.size;
    if (d.kind === 'dynamic') return typeof f === 'string';
    return true;
  });
}

export function formatSpec(spec: TensorSpec): string {
  return `${spec.dtype} [${spec.shape.map((d) => (d.kind === 'fixed' ? String(d.size) : d.label)).join(', ')}]`;
}

/** onnxruntime reports an unnamed symbolic dimension as "". */
function formatFound(type: string, shape: ReadonlyArray<number | string>): string {
  return `${type} [${shape.map((d) => (d === '' ? '?' : String(d))).join(', ')}]`;
}

const list = (names: readonly string[]) => (names.length === 0 ? '(none)' : names.join(', '));
