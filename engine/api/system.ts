import { z } from 'zod';

/** The `system` domain: what the engine runs on. */

export const ExecutionProviderInfo = z.object({
  name: z.string(),
  /** Compiled into this onnxruntime-node build. */
  bundled: z.boolean(),
  /**
   * Usable: its files are there (bundled, or provider libraries beside the binding) and, for a
   * provider the Checklist probes (cpu, cuda, webgpu), the same probe ran a test model.
   */
  available: z.boolean(),
  note: z.string().optional(),
});
export type ExecutionProviderInfo = z.infer<typeof ExecutionProviderInfo>;

const ProbeFailed = z.object({ status: z.literal('failed'), error: z.string() });

export const OnnxRuntimeInfo = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('loaded'),
    version: z.string(),
    executionProviders: z.array(ExecutionProviderInfo),
  }),
  ProbeFailed,
]);

export const MujocoInfo = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('loaded'),
    /** npm package version of @mujoco/mujoco. */
    packageVersion: z.string(),
    /** What the loaded WebAssembly module reports (mj_versionString). */
    version: z.string(),
    loadMs: z.number().nonnegative(),
  }),
  ProbeFailed,
]);

export const SystemInfo = z.object({
  app: z.object({ name: z.string(), version: z.string() }),
  /** Where the engine runs: an Electron utility process, `rsd serve`, the CLI, or a test. */
  engineHost: z.enum(['electron-utility', 'server', 'cli', 'in-process']),
  runtime: z.object({
    node: z.string(),
    electron: z.string().nullable(),
    v8: z.string(),
    platform: z.string(),
    arch: z.string(),
  }),
  machine: z.object({
    cpuCount: z.number().int().positive(),
    cpuModel: z.string(),
    totalMemoryBytes: z.number().nonnegative(),
    freeMemoryBytes: z.number().nonnegative(),
  }),
  onnxruntime: OnnxRuntimeInfo,
  mujoco: MujocoInfo,
  collectedAt: z.string(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const EngineHealth = z.object({
  status: z.literal('ok'),
  pid: z.number().int(),
  uptimeSec: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
});
export type EngineHealth = z.infer<typeof EngineHealth>;

export const systemRequests = {
  'system.info': {
    /** `refresh`: probe again instead of answering from the first probe (versions do not change). */
    params: z.object({ refresh: z.boolean().optional() }).strict(),
    result: SystemInfo,
  },
  'system.health': {
    params: z.object({}).strict(),
    result: EngineHealth,
  },
} as const;
