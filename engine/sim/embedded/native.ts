import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { appRoot } from '../../util/app-root.js';
import type { MujocoModule } from './mujoco-api.js';

/**
 * Native MuJoCo 3.14.0 (the pip wheel's libmujoco) through the Node-API addon native/mujoco/addon.c,
 * in the shape of the WebAssembly build's MainModule (mujoco-api.ts). Model and data arrays are
 * views over MuJoCo's own memory (external ArrayBuffers), so writes such as `data.ctrl[i] = t`
 * reach MuJoCo, and, unlike the wasm heap's, they never detach until the object is deleted.
 * Electron forbids external ArrayBuffers (its V8 sandbox): there it refuses by name.
 */

/** The version the native library must have: the WebAssembly build's, so both run the same MuJoCo. */
export const NATIVE_MUJOCO_VERSION = 3014000;

type Row = [name: string, type: number, offset: number, count: number];
interface Tables {
  version: string;
  versionNumber: number;
  headerVersion: number;
  modelArrays: [string, number][];
  dataArrays: [string, number][];
  modelStruct: Row[];
  dataStruct: Row[];
  contact: Row[];
  contactSize: number;
  enums: Record<'mjtObj' | 'mjtWarning' | 'mjtJoint' | 'mjtGeom', Record<string, number>>;
}
type Handle = object & { readonly __brand?: 'mujoco handle' };
interface Addon {
  tables(): Tables;
  loadXML(xml: string): Handle;
  deleteModel(m: Handle, views: ArrayBuffer[]): void;
  makeData(m: Handle): Handle;
  deleteData(d: Handle, views: ArrayBuffer[]): void;
  modelArrays(m: Handle): ArrayBuffer[];
  dataArrays(m: Handle, d: Handle): ArrayBuffer[];
  modelStruct(m: Handle): ArrayBuffer;
  dataStruct(d: Handle): ArrayBuffer;
  contacts(d: Handle): ArrayBuffer;
  step(m: Handle, d: Handle): void;
  step1(m: Handle, d: Handle): void;
  step2(m: Handle, d: Handle): void;
  stepN(m: Handle, d: Handle, n: number): void;
  forward(m: Handle, d: Handle): void;
  resetData(m: Handle, d: Handle): void;
  jacSite(m: Handle, d: Handle, jacp: Float64Array | null, jacr: Float64Array | null, site: number): void;
  name2id(m: Handle, type: number, name: string): number;
  id2name(m: Handle, type: number, id: number): string | null;
  totalMass(m: Handle): number;
}

// Type codes of addon.c.
const F64 = 0, F32 = 1, I32 = 2, U8 = 3, I8 = 4, U64 = 5, I64 = 6;

/** A typed view of `count` elements at `offset`; int64 arrays as Int32Array copies, as the wasm build gives them (tex_adr). */
function view(buffer: ArrayBuffer, type: number, offset = 0, count?: number): ArrayLike<number> | BigUint64Array {
  const n = (size: number) => count ?? (buffer.byteLength - offset) / size;
  switch (type) {
    case F64: return new Float64Array(buffer, offset, n(8));
    case F32: return new Float32Array(buffer, offset, n(4));
    case I32: return new Int32Array(buffer, offset, n(4));
    case U8: return new Uint8Array(buffer, offset, n(1));
    case I8: return new Int8Array(buffer, offset, n(1));
    case U64: return new BigUint64Array(buffer, offset, n(8));
    case I64: return Int32Array.from(new BigInt64Array(buffer, offset, n(8)), Number);
    default: throw new Error(`native MuJoCo: unknown type code ${type}`);
  }
}

/** Scalar struct fields as accessors on `target` (nested by the path's dots), arrays as live views. */
function defineStruct(target: object, buffer: ArrayBuffer, rows: Row[], skip: ReadonlySet<string> = new Set()): void {
  for (const [fieldPath, type, offset, count] of rows) {
    if (skip.has(fieldPath)) continue;
    const parts = fieldPath.split('.');
    let owner = target as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) owner = (owner[p] ??= {}) as Record<string, unknown>;
    const name = parts.at(-1)!;
    if (type === I64) {
      // Sizes (mjtSize): read once as numbers; they do not change after compilation.
      owner[name] = Number(new BigInt64Array(buffer, offset, 1)[0]);
      continue;
    }
    const v = view(buffer, type, offset, count);
    if (count > 1) {
      owner[name] = v;
    } else if (type === U64) {
      const big = v as BigUint64Array;
      Object.defineProperty(owner, name, { get: () => Number(big[0]), enumerable: true });
    } else {
      const cell = v as Float64Array;
      Object.defineProperty(owner, name, { get: () => cell[0], set: (x: number) => (cell[0] = x), enumerable: true });
    }
  }
}

/** What the native build needs per thread: the addon and its layout tables. */
interface Native {
  addon: Addon;
  tables: Tables;
}

class NativeModel {
  handle: Handle | null;
  readonly views: ArrayBuffer[];
  [field: string]: unknown;

  constructor(
    private readonly native: Native,
    xml: string,
  ) {
    const { addon, tables } = native;
    const handle = addon.loadXML(xml);
    this.handle = handle;
    const arrays = addon.modelArrays(handle);
    const struct = addon.modelStruct(handle);
    this.views = [...arrays, struct];
    tables.modelArrays.forEach(([name, type], i) => (this[name] = view(arrays[i]!, type)));
    defineStruct(this, struct, tables.modelStruct);
  }

  static from_xml_string(this: void, native: Native, xml: string): NativeModel {
    return new NativeModel(native, xml);
  }

  live(): Handle {
    if (!this.handle) throw new Error('native MuJoCo: this model was deleted');
    return this.handle;
  }

  delete(): void {
    if (!this.handle) return;
    this.native.addon.deleteModel(this.handle, this.views);
    this.handle = null;
  }
}

class NativeData {
  handle: Handle | null;
  private readonly views: ArrayBuffer[];
  private readonly warnings: Int32Array;
  [field: string]: unknown;

  constructor(
    private readonly native: Native,
    readonly model: NativeModel,
  ) {
    const { addon, tables } = native;
    const handle = addon.makeData(model.live());
    this.handle = handle;
    const arrays = addon.dataArrays(model.live(), handle);
    const struct = addon.dataStruct(handle);
    this.views = [...arrays, struct];
    tables.dataArrays.forEach(([name, type], i) => (this[name] = view(arrays[i]!, type)));
    defineStruct(this, struct, tables.dataStruct, new Set(['warning']));
    const [, , offset, count] = tables.dataStruct.find((r) => r[0] === 'warning')!;
    this.warnings = new Int32Array(struct, offset, count);
  }

  live(): Handle {
    if (!this.handle) throw new Error('native MuJoCo: this data was deleted');
    return this.handle;
  }

  /** As the wasm build's MjWarningStatVec: `get(i)` has lastinfo and number; `delete` is a no-op. */
  get warning(): { size(): number; get(i: number): { lastinfo: number; number: number; delete(): void } | undefined; delete(): void } {
    const w = this.warnings;
    return {
      size: () => w.length / 2,
      get: (i) => (i >= 0 && i < w.length / 2 ? { lastinfo: w[2 * i]!, number: w[2 * i + 1]!, delete() {} } : undefined),
      delete() {},
    };
  }

  /** As the wasm build's MjContactVec: a copy of the contacts of the last step, each element read lazily. */
  get contact(): { size(): number; get(i: number): object | undefined; delete(): void } {
    const { tables, addon } = this.native;
    const copy = new ContactCopy(addon.contacts(this.live()), tables.contactSize);
    const Contact = contactClass(tables);
    return {
      size: () => copy.count,
      get: (i) => (i >= 0 && i < copy.count ? new Contact(copy, i * tables.contactSize) : undefined),
      delete() {},
    };
  }

  delete(): void {
    if (!this.handle) return;
    this.native.addon.deleteData(this.handle, this.views);
    this.handle = null;
  }
}

/** Typed views over one copy of d->contact. */
class ContactCopy {
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly count: number;
  constructor(
    readonly buffer: ArrayBuffer,
    size: number,
  ) {
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.count = buffer.byteLength / size;
  }
}

interface ContactElement {
  readonly copy: ContactCopy;
  readonly base: number;
}

const contactClasses = new WeakMap<Tables, new (copy: ContactCopy, base: number) => ContactElement>();

/**
 * A contact as the wasm build's MjContact (geom1, geom2, dist, pos, frame, ...): getters on the
 * prototype read the copy only for the fields asked (the goal check reads two per contact).
 */
function contactClass(tables: Tables): new (copy: ContactCopy, base: number) => ContactElement {
  let C = contactClasses.get(tables);
  if (C) return C;
  C = class implements ContactElement {
    constructor(
      readonly copy: ContactCopy,
      readonly base: number,
    ) {}
    delete(): void {}
  };
  for (const [name, type, offset, count] of tables.contact) {
    const get =
      count > 1
        ? function (this: ContactElement) {
            return view(this.copy.buffer, type, this.base + offset, count);
          }
        : type === F64
          ? function (this: ContactElement) {
              return this.copy.f64[(this.base + offset) / 8];
            }
          : function (this: ContactElement) {
              return this.copy.i32[(this.base + offset) / 4];
            };
    Object.defineProperty(C.prototype, name, { get, enumerable: true });
  }
  contactClasses.set(tables, C);
  return C;
}

/** As the wasm build's DoubleBuffer: MuJoCo writes into its view (mj_jacSite's outputs). */
class NativeDoubleBuffer {
  private readonly array: Float64Array;
  constructor(n: number) {
    this.array = new Float64Array(n);
  }
  GetView(): Float64Array {
    return this.array;
  }
  delete(): void {}
}

const enumOf = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]));

function nativeModule(native: Native): MujocoModule {
  const { addon, tables } = native;
  const m = (model: unknown) => (model as NativeModel).live();
  const d = (data: unknown) => (data as NativeData).live();
  const buf = (b: unknown) => (b === null || b === undefined ? null : (b as NativeDoubleBuffer).GetView());
  const module = {
    mj_step: (model: unknown, data: unknown) => addon.step(m(model), d(data)),
    mj_step1: (model: unknown, data: unknown) => addon.step1(m(model), d(data)),
    mj_step2: (model: unknown, data: unknown) => addon.step2(m(model), d(data)),
    mj_forward: (model: unknown, data: unknown) => addon.forward(m(model), d(data)),
    mj_resetData: (model: unknown, data: unknown) => addon.resetData(m(model), d(data)),
    mj_jacSite: (model: unknown, data: unknown, jacp: unknown, jacr: unknown, site: number) => addon.jacSite(m(model), d(data), buf(jacp), buf(jacr), site),
    mj_name2id: (model: unknown, type: number, name: string) => addon.name2id(m(model), type, name),
    mj_id2name: (model: unknown, type: number, id: number) => addon.id2name(m(model), type, id) ?? '',
    mj_getTotalmass: (model: unknown) => addon.totalMass(m(model)),
    mj_versionString: () => tables.version,
    MjModel: { from_xml_string: (xml: string) => NativeModel.from_xml_string(native, xml) },
    MjData: class extends NativeData {
      constructor(model: NativeModel) {
        super(native, model);
      }
    },
    DoubleBuffer: NativeDoubleBuffer,
    mjtObj: enumOf(tables.enums.mjtObj),
    mjtWarning: enumOf(tables.enums.mjtWarning),
    mjtJoint: enumOf(tables.enums.mjtJoint),
  };
  // The shapes above are the MainModule members the engine uses (mujoco-api.ts), checked by
  // test/engine/sim/embedded/native.test.ts against the wasm build on the same scene.
  return module as unknown as MujocoModule;
}

/** `n` mj_step calls in one crossing into the addon, for the bench's physics floor. */
export function nativeStepN(module: MujocoModule, model: unknown, data: unknown, n: number): boolean {
  const native = natives.get(module);
  if (!native) return false;
  native.addon.stepN((model as NativeModel).live(), (data as NativeData).live(), n);
  return true;
}

const natives = new WeakMap<MujocoModule, Native>();

export type NativeLoad = { module: MujocoModule; addon: string; built: boolean } | { reason: string };

let loaded: NativeLoad | undefined;

/**
 * Native MuJoCo for this thread, or the reason it cannot load here (Electron, no compiler, no
 * wheel, no Node-API headers, a library of another version). The addon is built on first use
 * (scripts/build-native-mujoco.mjs, a few seconds of gcc) and kept in dist/native/mujoco, keyed by
 * its source. Never throws: the caller decides between an error (`native`) and the wasm build (`auto`).
 */
export async function loadNativeMujoco(env: NodeJS.ProcessEnv = process.env): Promise<NativeLoad> {
  // Asked each time, not cached: the tests turn native off (and play Electron) in a running process.
  if (process.versions.electron) return { reason: 'Electron forbids external ArrayBuffers (its V8 sandbox), which native MuJoCo needs; the WebAssembly build runs there' };
  if (env.RSD_NATIVE_MUJOCO === '0') return { reason: 'RSD_NATIVE_MUJOCO=0 turns the native build off' };
  if (loaded) return loaded;
  loaded = await tryLoad();
  return loaded;
}

async function tryLoad(): Promise<NativeLoad> {
  const script = path.join(appRoot(), 'scripts', 'build-native-mujoco.mjs');
  let build: { addon?: string; built?: boolean; reason?: string };
  try {
    const builder = (await import(pathToFileURL(script).href)) as { buildNativeMujoco(): typeof build };
    build = builder.buildNativeMujoco();
  } catch (error) {
    return { reason: `the native addon did not build: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}` };
  }
  if (!build.addon) return { reason: build.reason ?? 'the native addon was not built' };
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(build.addon) as Addon;
  } catch (error) {
    return { reason: `${build.addon} did not load: ${(error as Error).message.split('\n')[0]}` };
  }
  const tables = addon.tables();
  if (tables.versionNumber !== NATIVE_MUJOCO_VERSION || tables.headerVersion !== NATIVE_MUJOCO_VERSION) {
    return { reason: `the native library is MuJoCo ${tables.version} (headers ${tables.headerVersion}); the WebAssembly build is ${NATIVE_MUJOCO_VERSION}` };
  }
  // A runtime that forbids external ArrayBuffers (a V8 sandbox, as Electron's) refuses here, by name.
  try {
    const probe = addon.loadXML('<mujoco><worldbody><geom size="1"/></worldbody></mujoco>');
    const views = addon.modelArrays(probe);
    addon.deleteModel(probe, views);
  } catch (error) {
    return { reason: `this runtime refuses views over native memory (external ArrayBuffers): ${(error as Error).message}` };
  }
  const module = nativeModule({ addon, tables });
  natives.set(module, { addon, tables });
  return { module, addon: build.addon, built: build.built ?? false };
}
