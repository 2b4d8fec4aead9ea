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
  'runs.scene',
  'runs.export',
  'runs.import',
  'runs.compare',
  'eval.suites',
  'eval.start',
  'eval.resume',
  'eval.cancel',
  'eval.status',
] as const;
export const EVENT_TYPES = ['engine.status', 'checks.progress', 'eval.event'] as const;

/** The preload's function name for a request: `system.info` -> `systemInfo`. */
export function bridgeMethodName(type: string): string {
  return type.replace(/\.([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** IPC channels between preload and main. Not exposed to the renderer. */
export const IPC_REQUEST_CHANNEL = 'rsd:request';
export const IPC_EVENT_CHANNEL = 'rsd:event';

type MethodName<T extends string> = T extends `${infer Head}.${infer Tail}` ? `${Head}${Capitalize<MethodName<Tail>>}` : T;

/**
 * What the preload exposes as `window.rsd`: one function per request (each resolves to a raw reply,
 * `{ok, result}` or `{ok: false, error}`, validated by the renderer's client) and one subscription.
 */
export type RsdBridge = {
  readonly [K in (typeof REQUEST_TYPES)[number] as MethodName<K>]: (params: unknown) => Promise<unknown>;
} & {
  onEvent(listener: (event: unknown) => void): () => void;
};
