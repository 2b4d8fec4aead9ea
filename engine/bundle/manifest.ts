import { z } from 'zod';
import { PAD, PAD_WORD, UNK, UNK_WORD } from './tokenizer.js';

/**
 * bundle.json, format version 1 (docs/bundle-format.md). A model bundle is a folder with this
 * manifest and the ONNX files it names. Tensor names and layouts are fixed by the format; the
 * manifest gives the sizes, so the loader can check every model's inputs and outputs against it.
 */

export const BUNDLE_FORMAT = 'rsd-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

const OnnxFile = z.string().regex(/^[\w.-]+\.onnx$/, 'an .onnx file name inside the bundle folder (no paths)');
const Vector = (n?: number) => (n === undefined ? z.array(z.number().finite()).min(1) : z.array(z.number().finite()).length(n));

/** BOUNDS_Q99 as OpenVLA-OFT: x_norm = clip(2 (x - q01) / (q99 - q01 + 1e-8) - 1, -1, 1) on masked dims. */
export const Q99Normalization = z
  .object({
    kind: z.literal('q99'),
    q01: Vector(),
    q99: Vector(),
    mask: z.array(z.boolean()).min(1),
  })
  .strict()
  .refine((n) => n.q01.length === n.q99.length && n.q01.length === n.mask.length, {
    message: 'q01, q99 and mask must have the same length',
  });

/**
 * Camera images are rendered and resampled per step, and a bundle is untrusted input: a side is
 * capped so that a manifest cannot ask for a frame that exhausts memory (LIBERO renders 128-256).
 */
export const MAX_IMAGE_SIDE = 1024;
/** Token tensors are [B, maxLength] int64; capped for the same reason. */
export const MAX_INSTRUCTION_TOKENS = 512;

const ImageSide = z.number().int().positive().max(MAX_IMAGE_SIDE);

export const Camera = z
  .object({
    /** Names the model input `image_<name>` and the simulator's camera (LIBERO's `agentview`, `robot0_eye_in_hand`). */
    name: z.string().regex(/^[\w-]+$/, 'letters, digits, _ and - (it names the input image_<name>)'),
    /** The tensor's size: image_<name> is [B, 3, height, width]. */
    height: ImageSide,
    width: ImageSide,
    /**
     * The size the simulator renders this camera at (the images the bundle was trained on); the
     * engine crops and resizes from it to the tensor's size. Absent: rendered at the tensor's size.
     */
    render: z.object({ height: ImageSide, width: ImageSide }).strict().optional(),
    /** `rot180`: the policy sees the image as OpenVLA-OFT's LIBERO pipeline does (img[::-1, ::-1] of the OpenGL buffer). */
    orientation: z.enum(['upright', 'rot180']),
    /** Fraction of the area kept by a centre crop before resizing to the tensor's size (OFT: 0.9), or none. */
    centerCrop: z.number().gt(0).lte(1).nullable(),
  })
  .strict();

export const Instruction = z.discriminatedUnion('kind', [
  /** The instruction as an index into a fixed list of instructions (a model trained on those tasks): input `instruction` int64 [B]. */
  z.object({ kind: z.literal('task-index'), instructions: z.array(z.string().min(1)).min(1) }).strict(),
  /**
   * The instruction as text: engine/bundle/tokenizer.ts turns it into `maxLength` word ids of
   * `vocabulary` (index 0 `<pad>`, 1 `<unk>`, then words): input `instruction_tokens` int64 [B, maxLength].
   */
  z
    .object({
      kind: z.literal('tokens'),
      vocabulary: z.array(z.string()).min(2),
      maxLength: z.number().int().positive().max(MAX_INSTRUCTION_TOKENS),
    })
    .strict(),
]);

export const Observation = z
  .object({
    /** `state`: proprio, object poses and instruction only; `vision`: camera images too (the default vision bundle observes no object poses). */
    kind: z.enum(['state', 'vision']),
    cameras: z.array(Camera),
    proprio: z.object({ dim: z.literal(8), normalization: Q99Normalization }).strict(),
    /** Poses (position xyz + quaternion wxyz) of named scene entities, in this order; empty when not observed. */
    objectPoses: z.object({ entities: z.array(z.string().min(1)), normalization: Q99Normalization.nullable() }).strict(),
    instruction: Instruction,
  })
  .strict();

export const Action = z
  .object({
    dim: z.literal(7),
    chunk: z.number().int().positive(),
    /** Un-normalisation of the policy's output: BOUNDS_Q99 on masked dims (dims 0-5 for LIBERO). */
    normalization: Q99Normalization,
    /** OFT's convention: the model says 1 = open, 0 = close; the env wants -1 = open, +1 = close. */
    gripper: z.object({ index: z.literal(6), modelConvention: z.literal('1-open-0-close'), binarize: z.boolean(), invert: z.boolean() }).strict(),
  })
  .strict();

export const Rfsq = z
  .object({
    layers: z.number().int().min(1).max(16),
    /** Levels of every latent scalar (the same L for all, so logits are [.., latentSize, levels]). */
    levels: z.number().int().min(2).max(64),
    /** Latent scalars per layer: one code each. */
    latentSize: z.number().int().positive(),
    /** Per-layer scale; default (levels-1)^-q. */
    scales: z.array(z.number().positive()).optional(),
    bound: z.enum(['tanh', 'clamp']),
    /** latent [B, latentSize] -> normalised actions [B, chunk, 7]. */
    decoder: OnnxFile,
  })
  .strict()
  .refine((r) => r.scales === undefined || r.scales.length === r.layers, { message: 'scales must have one entry per layer', path: ['scales'] });

export const Main = z.discriminatedUnion('decoding', [
  /** All layers in one pass (OpenVLA-OFT style heads): obs -> logits [B, layers, P, L]. */
  z.object({ decoding: z.literal('parallel'), model: OnnxFile }).strict(),
  /**
   * Coarse to fine, each layer conditioned on the previous ones. With a KV cache: `prefill` (obs ->
   * hidden, past_key, past_value) then `step` (codes, layer_ids, past -> logits, present). Without:
   * `step` reads the observation and the whole code prefix every time.
   */
  z
    .object({
      decoding: z.literal('layerwise'),
      kvCache: z.boolean(),
      prefill: OnnxFile.optional(),
      step: OnnxFile,
      hiddenSize: z.number().int().positive(),
      /** KV cache layout [B, blocks, T, kvSize]. */
      blocks: z.number().int().positive(),
      kvSize: z.number().int().positive(),
    })
    .strict(),
]);

export const Draft = z
  .object({
    model: OnnxFile,
    /** Coarse layers it proposes in one pass: logits [B, layers, P, L]. */
    layers: z.number().int().positive(),
    /** What it reads: the observation, or the main model's prefill `hidden` [B, hiddenSize]. */
    reads: z.enum(['observation', 'main-hidden']),
  })
  .strict();

export const Manifest = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
    name: z.string().min(1),
    description: z.string(),
    observation: Observation,
    action: Action,
    rfsq: Rfsq,
    main: Main,
    draft: Draft.nullable(),
    /** How it was made: data recipe, training command, commit, metrics. Free-form, recorded with results. */
    provenance: z.record(z.string(), z.unknown()),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.action.normalization.q01.length !== m.action.dim) ctx.addIssue({ code: 'custom', path: ['action', 'normalization', 'q01'], message: `needs ${m.action.dim} entries` });
    if (m.main.decoding === 'layerwise' && m.main.kvCache && !m.main.prefill) ctx.addIssue({ code: 'custom', path: ['main', 'prefill'], message: 'a layerwise model with a KV cache needs its prefill model' });
    if (m.draft && m.draft.layers > m.rfsq.layers) ctx.addIssue({ code: 'custom', path: ['draft', 'layers'], message: `cannot exceed rfsq.layers (${m.rfsq.layers})` });
    // Only the prefill outputs `hidden`; a layerwise model without a KV cache has no prefill.
    if (m.draft?.reads === 'main-hidden' && !(m.main.decoding === 'layerwise' && m.main.kvCache)) ctx.addIssue({ code: 'custom', path: ['draft', 'reads'], message: 'main-hidden needs a layerwise main model with a KV cache (its prefill gives hidden)' });
    // Without a KV cache nothing runs a prefill, so a named one would be an unchecked, unused file.
    if (m.main.decoding === 'layerwise' && !m.main.kvCache && m.main.prefill) ctx.addIssue({ code: 'custom', path: ['main', 'prefill'], message: 'only a model with a KV cache has a prefill' });
    if (m.observation.kind === 'vision' && m.observation.cameras.length === 0) ctx.addIssue({ code: 'custom', path: ['observation', 'cameras'], message: 'a vision bundle needs at least one camera' });
    // The simulator renders what the policy's metadata lists; a state bundle reading none must cost none.
    if (m.observation.kind === 'state' && m.observation.cameras.length > 0) ctx.addIssue({ code: 'custom', path: ['observation', 'cameras'], message: "a state bundle reads no camera images (kind 'vision' does)" });
    const instruction = m.observation.instruction;
    if (instruction.kind === 'tokens') {
      const problem = vocabularyProblem(instruction.vocabulary);
      if (problem) ctx.addIssue({ code: 'custom', path: ['observation', 'instruction', 'vocabulary', ...problem.path], message: problem.message });
    }
    // Normalisation statistics must cover the vectors they normalise, or processing reads past them.
    if (m.observation.proprio.normalization.q01.length !== m.observation.proprio.dim) ctx.addIssue({ code: 'custom', path: ['observation', 'proprio', 'normalization', 'q01'], message: `needs ${m.observation.proprio.dim} entries` });
    const poses = m.observation.objectPoses;
    if (poses.normalization && poses.normalization.q01.length !== 7 * poses.entities.length) ctx.addIssue({ code: 'custom', path: ['observation', 'objectPoses', 'normalization', 'q01'], message: `needs 7 entries per entity (${7 * poses.entities.length})` });
    // Camera names become input names (image_<name>), so they must be distinct.
    const cameraNames = m.observation.cameras.map((c) => c.name);
    const repeated = cameraNames.findIndex((n, i) => cameraNames.indexOf(n) !== i);
    if (repeated >= 0) ctx.addIssue({ code: 'custom', path: ['observation', 'cameras', repeated, 'name'], message: `camera "${cameraNames[repeated]}" is named twice` });
  });
export type Manifest = z.infer<typeof Manifest>;

/**
 * The tokenizer's vocabulary: `<pad>` at 0, `<unk>` at 1, then distinct words the tokenizer can
 * produce (lowercase a-z and 0-9), since any other entry could never match a word.
 */
function vocabularyProblem(vocabulary: readonly string[]): { path: number[]; message: string } | null {
  if (vocabulary[PAD] !== PAD_WORD) return { path: [PAD], message: `must be "${PAD_WORD}" (index ${PAD} pads)` };
  if (vocabulary[UNK] !== UNK_WORD) return { path: [UNK], message: `must be "${UNK_WORD}" (index ${UNK} stands for unknown words)` };
  const seen = new Set<string>();
  for (let i = UNK + 1; i < vocabulary.length; i++) {
    const word = vocabulary[i]!;
    if (!/^[a-z0-9]+$/.test(word)) return { path: [i], message: `"${word}" is not a word the tokenizer produces (lowercase a-z and 0-9 only)` };
    if (seen.has(word)) return { path: [i], message: `"${word}" is listed twice` };
    seen.add(word);
  }
  return null;
}
