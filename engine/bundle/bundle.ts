import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { EXECUTION_PROVIDER_REQUESTS as REQUESTS, type ExecutionProvider, type ExecutionProviderRequest } from '../api/schemas/run-config.js';
import { InputError } from '../util/input-error.js';
import { GiB, MiB, readFileSafely, UnsafeFileError } from '../util/safe-read.js';
import { Manifest } from './manifest.js';
import { executionProviders, loadOnnxRuntime } from './onnxruntime.js';
import { ortErrorSentence as firstLine } from './ort-error.js';
import { expectedModels, signatureMismatch, type ModelRole, type ModelSpec } from './tensor-specs.js';

/**
 * Loads a model bundle (docs/bundle-format.md): validates bundle.json, reads and hashes every model
 * file, creates each onnxruntime session once on the chosen execution provider and checks every
 * session's tensors against the manifest. Every failure is a BundleError naming the thing.
 */

export const MANIFEST_FILE = 'bundle.json';
/** The largest bundle.json read. */
export const MANIFEST_LIMIT = 1 * MiB;
/** The largest model file read: protobuf (so ONNX without external data, which bundles may not use) stops at 2 GiB. */
export const MODEL_LIMIT = 2 * GiB;

/** The providers are part of the run configuration's schema (engine/api/schemas/run-config.ts). */
export type { ExecutionProvider, ExecutionProviderRequest };
export const EXECUTION_PROVIDER_REQUESTS: readonly ExecutionProviderRequest[] = REQUESTS;
/** What `auto` tries, best first; cpu always works, so it is last. */
export const AUTO_ORDER: readonly ExecutionProvider[] = ['cuda', 'webgpu', 'cpu'];

export type Session = Ort.InferenceSession;

/** A bundle that cannot be used, or an execution provider that cannot run it: input at fault. */
export class BundleError extends InputError {
  constructor(
    /** The file (or execution provider) at fault, as the message starts. */
    readonly subject: string,
    detail: string,
    /** The input at fault: the file's path, or the option (`ep`, `smallModelsEp`). */
    field: string = subject,
  ) {
    super(field, `${subject}: ${detail}`);
    this.name = 'BundleError';
  }
}

/** How the execution provider was chosen; results record it. */
export interface ExecutionProviderChoice {
  requested: ExecutionProviderRequest;
  chosen: ExecutionProvider;
  /** Every provider tried, in order, with why it was passed over or taken. */
  attempts: { ep: ExecutionProvider; ok: boolean; reason: string }[];
  /** Where the draft and the RFSQ decoder run when asked to run apart from the main model. */
  smallModels?: ExecutionProvider;
}

export type MainSessions =
  | { decoding: 'parallel'; parallel: Session }
  | { decoding: 'layerwise'; kvCache: true; prefill: Session; step: Session }
  | { decoding: 'layerwise'; kvCache: false; step: Session };

export interface BundleSessions {
  decoder: Session;
  main: MainSessions;
  draft: Session | null;
}

export interface LoadedBundle {
  dir: string;
  manifest: Manifest;
  /** SHA-256, lowercase hex, per docs/bundle-format.md "Content hash". */
  hash: string;
  ep: ExecutionProvider;
  epChoice: ExecutionProviderChoice;
  sessions: BundleSessions;
  /** The tensor contract each session was checked against, in hash order. */
  models: ModelSpec[];
  /** Releases every session; later calls do nothing. */
  release(): Promise<void>;
}

export interface LoadBundleOptions {
  ep: ExecutionProviderRequest;
  /** Passed to every session (threads, optimisation level); the providers come from `ep`. */
  sessionOptions?: Omit<Ort.InferenceSession.SessionOptions, 'executionProviders'>;
  /**
   * A provider for the small models (draft and RFSQ decoder) apart from the main model's: on a GPU,
   * WebGPU's fixed cost per run (about 2-3 ms on an H100) exceeds a tiny model's whole CPU time.
   * Explicit only: never chosen silently. Must be available, as `ep` must.
   */
  smallModelsEp?: ExecutionProvider;
}

const SMALL_ROLES: readonly ModelRole[] = ['draft', 'decoder'];

export async function loadBundle(dir: string, options: LoadBundleOptions): Promise<LoadedBundle> {
  const { manifest, bytes: manifestBytes } = await readManifest(dir);
  const models = expectedModels(manifest);
  const files = await Promise.all(models.map((spec) => readModel(dir, manifest, spec)));
  const hash = contentHash(manifestBytes, models.map((spec, i) => ({ name: spec.file, bytes: files[i]! })));
  const { sessions, choice } = await createSessions(models, files, options);
  try {
    models.forEach((spec, i) => {
      const mismatch = signatureMismatch(spec, sessions[i]!);
      if (mismatch) throw new BundleError(spec.file, mismatch, path.join(dir, spec.file));
    });
  } catch (error) {
    await releaseAll(sessions);
    throw error;
  }
  const byRole = new Map<ModelRole, Session>(models.map((spec, i) => [spec.role, sessions[i]!]));
  let released = false;
  return {
    dir,
    manifest,
    hash,
    ep: choice.chosen,
    epChoice: choice,
    sessions: sessionsByRole(manifest, byRole),
    models,
    async release() {
      if (released) return;
      released = true;
      await releaseAll(sessions);
    },
  };
}

// ---- manifest ----

export async function readManifest(dir: string): Promise<{ manifest: Manifest; bytes: Uint8Array }> {
  const file = path.join(dir, MANIFEST_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFileSafely(file, MANIFEST_LIMIT);
  } catch (error) {
    throw new BundleError(MANIFEST_FILE, isNotFound(error) ? `not found in ${dir}` : cannotRead(error), file);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BundleError(MANIFEST_FILE, `not valid JSON: ${firstLine(error)}`, file);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BundleError(MANIFEST_FILE, `${formatPath(issue.path) || '(top level)'}: ${issueText(issue)}`, file);
  }
  return { manifest: parsed.data, bytes };
}

/** `rfsq.layers`, `action.normalization.q01[3]`. */
function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function issueText(issue: { code: string; message: string }): string {
  const text = issue.message.replace(/^Invalid input: /, '');
  const absent = /^(expected .*), received undefined$/.exec(text);
  return issue.code === 'invalid_type' && absent ? `missing (${absent[1]})` : text;
}

// ---- model files ----

async function readModel(dir: string, manifest: Manifest, spec: ModelSpec): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileSafely(path.join(dir, spec.file), MODEL_LIMIT);
  } catch (error) {
    throw new BundleError(spec.file, isNotFound(error) ? `not found in ${dir} (named by ${MANIFEST_FILE} ${spec.field})` : cannotRead(error), path.join(dir, spec.file));
  }
  const recorded = recordedSha256(manifest, spec.file);
  if (recorded !== null) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== recorded) {
      throw new BundleError(spec.file, `its SHA-256 is ${actual}, but ${MANIFEST_FILE} provenance.files records ${recorded}: the file was changed or damaged after the bundle was made`, path.join(dir, spec.file));
    }
  }
  const problem = onnxProblem(bytes);
  if (problem) throw new BundleError(spec.file, `not a valid ONNX model: ${problem}`, path.join(dir, spec.file));
  return bytes;
}

/** `is a FIFO (named pipe), not a regular file` for a refused file; the system's sentence otherwise. */
function cannotRead(error: unknown): string {
  return error instanceof UnsafeFileError ? error.detail : `cannot be read: ${firstLine(error)}`;
}

/**
 * The SHA-256 that bundle.json's `provenance.files` records for a model file (lowercase hex), or
 * null when it records none. A recorded value that is not a SHA-256 makes the manifest invalid.
 */
export function recordedSha256(manifest: Manifest, file: string): string | null {
  const files = manifest.provenance.files;
  if (files === undefined || files === null) return null;
  if (typeof files !== 'object' || Array.isArray(files)) throw new BundleError(MANIFEST_FILE, 'provenance.files: expected an object of file name to SHA-256');
  if (!Object.hasOwn(files, file)) return null;
  const value = (files as Record<string, unknown>)[file];
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) throw new BundleError(MANIFEST_FILE, `provenance.files["${file}"]: expected a SHA-256 in 64 hex digits, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

/**
 * A cheap structural check of the ModelProto wire format (every field well formed up to the last
 * byte, an ir_version and a graph present), so a corrupt file is named as such before any
 * execution provider is tried, and `auto` never mistakes a bad file for a bad provider.
 */
export function onnxProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'the file is empty';
  if (new TextDecoder().decode(bytes.subarray(0, 24)).startsWith('version https://git-lfs')) return 'it is a Git LFS pointer, not the model (run git lfs pull)';
  const seen = new Set<number>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error('varint longer than 10 bytes');
  };
  try {
    while (at < bytes.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (field === 0) throw new Error(`field number 0 at byte ${at}`);
      if (wire === 0) varint();
      else if (wire === 1) at += 8;
      else if (wire === 2) {
        const length = varint(); // read before adding: varint() moves `at`
        at += length;
      }
      else if (wire === 5) at += 4;
      else throw new Error(`wire type ${wire} at byte ${at}`);
      if (at > bytes.length) throw new Error(`field ${field} runs past the end of the file`);
      seen.add(field);
    }
  } catch (error) {
    return `protobuf parsing failed (${(error as Error).message})`;
  }
  if (!seen.has(1)) return 'no ir_version';
  if (!seen.has(7)) return 'no graph';
  return null;
}

/**
 * SHA-256 over bundle.json and then each model file in hash order, each part framed as
 * `<file name> NUL <byte length> NUL <bytes>`, so bytes cannot move between parts unnoticed.
 */
export function contentHash(manifestBytes: Uint8Array, models: readonly { name: string; bytes: Uint8Array }[]): string {
  const h = createHash('sha256');
  for (const part of [{ name: MANIFEST_FILE, bytes: manifestBytes }, ...models]) {
    h.update(`${part.name}\0${part.bytes.length}\0`, 'utf8');
    h.update(part.bytes);
  }
  return h.digest('hex');
}

// ---- sessions and execution providers ----

async function createSessions(models: ModelSpec[], files: Uint8Array[], options: LoadBundleOptions): Promise<{ sessions: Session[]; choice: ExecutionProviderChoice }> {
  const requested = options.ep;
  if (!EXECUTION_PROVIDER_REQUESTS.includes(requested)) throw new BundleError(`execution provider "${String(requested)}"`, `unknown; choose one of ${EXECUTION_PROVIDER_REQUESTS.join(', ')}`, 'ep');
  const small = options.smallModelsEp;
  const smallUnavailable = small && unavailableReason(small);
  if (smallUnavailable) throw new BundleError(`execution provider "${small}" (small models)`, `not available: ${smallUnavailable}`, 'smallModelsEp');
  const attempts: ExecutionProviderChoice['attempts'] = [];
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  let lastError: BundleError | undefined;
  for (const ep of candidates) {
    const unavailable = unavailableReason(ep);
    if (unavailable) {
      if (requested !== 'auto') throw new BundleError(`execution provider "${ep}"`, `not available: ${unavailable}`, 'ep');
      attempts.push({ ep, ok: false, reason: `not available: ${unavailable}` });
      continue;
    }
    try {
      const sessions = await createOn(ep, models, files, options);
      attempts.push({ ep, ok: true, reason: requested === 'auto' ? 'the first provider, best first, whose sessions were all created' : 'requested' });
      const choice: ExecutionProviderChoice = { requested, chosen: ep, attempts };
      if (options.smallModelsEp) choice.smallModels = options.smallModelsEp;
      return { sessions, choice };
    } catch (error) {
      if (!(error instanceof BundleError)) throw error;
      if (requested !== 'auto') throw error;
      attempts.push({ ep, ok: false, reason: error.message });
      lastError = error;
    }
  }
  // cpu is always last and always available, so only its own failure ends up here.
  throw lastError ?? new BundleError('execution provider "auto"', 'no provider could be used', 'ep');
}

/** Why this build cannot run `ep` at all, or null when it can try. */
function unavailableReason(ep: ExecutionProvider): string | null {
  const info = executionProviders().find((p) => p.name === ep);
  if (!info) return `this onnxruntime-node build does not include it`;
  if (!info.available) return info.note ?? 'its libraries are not installed';
  return null;
}

/** All sessions on one provider, or none: a failure releases those already made. */
async function createOn(mainEp: ExecutionProvider, models: ModelSpec[], files: Uint8Array[], options: LoadBundleOptions): Promise<Session[]> {
  const ort = loadOnnxRuntime();
  const small = options.smallModelsEp;
  const sessions: Session[] = [];
  for (const [i, spec] of models.entries()) {
    const ep = small && SMALL_ROLES.includes(spec.role) ? small : mainEp;
    try {
      // From the bytes that were hashed, so the session runs exactly what the hash names.
      sessions.push(await ort.InferenceSession.create(files[i]!, { ...options.sessionOptions, executionProviders: [ep] }));
    } catch (error) {
      await releaseAll(sessions);
      throw new BundleError(spec.file, `could not create a session with execution provider "${ep}": ${firstLine(error)}`);
    }
  }
  return sessions;
}

function sessionsByRole(m: Manifest, byRole: Map<ModelRole, Session>): BundleSessions {
  const get = (role: ModelRole) => byRole.get(role)!;
  const main: MainSessions =
    m.main.decoding === 'parallel'
      ? { decoding: 'parallel', parallel: get('parallel') }
      : m.main.kvCache
        ? { decoding: 'layerwise', kvCache: true, prefill: get('prefill'), step: get('step') }
        : { decoding: 'layerwise', kvCache: false, step: get('step') };
  return { decoder: get('decoder'), main, draft: m.draft ? get('draft') : null };
}

async function releaseAll(sessions: Session[]): Promise<void> {
  await Promise.allSettled(sessions.map((s) => s.release()));
}

const isNotFound = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
