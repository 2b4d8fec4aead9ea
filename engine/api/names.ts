/**
 * Request and event names without zod: the sandboxed Electron preload imports only this, so that it
 * stays a small bundle that can `require` nothing but `electron`. contract.ts checks that these
 * lists match its schemas, and contract.test.ts checks the reverse.
 */
export const REQUEST_TYPES = [
  'system.info',
  'system.health',
  'checks.list',
  'checks.run',
  'settings.get',
  'settings.set',
  'runs.list',
  'runs.results',
  'runs.trajectory',
  'runs.cameras',
  'runs.scene',
  'runs.export',
  'runs.import',
  'runs.compare',
  'runs.rename',
  'runs.note',
  'runs.delete',
  'eval.suites',
  'eval.decodings',
  'eval.start',
  'eval.resume',
  'eval.cancel',
  'eval.status',
  'fidelity.latest',
  'policy.probe',
] as const;
export const EVENT_TYPES = ['engine.status', 'checks.progress', 'eval.event'] as const;

/** The preload's function name for a request: `system.info` -> `systemInfo`. */
export function bridgeMethodName(type: string): string {
  return type.replace(/\.([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** IPC channels between preload and main. Not exposed to the renderer. */
export const IPC_REQUEST_CHANNEL = 'rsd:request';
export const IPC_EVENT_CHANNEL = 'rsd:event';
/** Native dialogs (electron/dialogs.ts): main answers with the chosen path, or null when cancelled. */
export const IPC_DIALOG_CHANNEL = 'rsd:dialog';

/** What a folder is chosen for: it names the dialog's title. */
export const FOLDER_PURPOSES = ['bundle', 'libero'] as const;
export type FolderPurpose = (typeof FOLDER_PURPOSES)[number];

/** The one argument the preload sends on IPC_DIALOG_CHANNEL; main checks it before showing anything. */
export type DialogRequest = { kind: 'folder'; purpose: FolderPurpose } | { kind: 'save'; defaultName: string } | { kind: 'open' };

type MethodName<T extends string> = T extends `${infer Head}.${infer Tail}` ? `${Head}${Capitalize<MethodName<Tail>>}` : T;

/**
 * What the preload exposes as `window.rsd`: one function per request (each resolves to a raw reply,
 * `{ok, result}` or `{ok: false, error}`, validated by the renderer's client), one subscription, and
 * the native dialogs (each resolves to the chosen absolute path, or null when the user cancels).
 */
export type RsdBridge = {
  readonly [K in (typeof REQUEST_TYPES)[number] as MethodName<K>]: (params: unknown) => Promise<unknown>;
} & {
  onEvent(listener: (event: unknown) => void): () => void;
  /** A folder (a model bundle, a LIBERO checkout). */
  chooseFolder(purpose: FolderPurpose): Promise<string | null>;
  /** Where to save a results JSON; `defaultName` is a bare file name such as `<runId>.results.json`. */
  chooseSaveFile(defaultName: string): Promise<string | null>;
  /** A results JSON to open. */
  chooseOpenFile(): Promise<string | null>;
};
