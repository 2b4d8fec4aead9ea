import { z } from 'zod';

/** The `settings` domain: the few choices the engine keeps for the user (engine/settings stores them). */

export const DECODING_STRATEGIES = ['parallel', 'autoregressive', 'speculative'] as const;
export const DecodingStrategy = z.enum(DECODING_STRATEGIES);
export type DecodingStrategy = z.infer<typeof DecodingStrategy>;

/** A folder the user typed or chose; the handler also checks that it exists. */
const FolderPath = z.string().trim().min(1, 'a folder path, not an empty string');
/** A file the user typed or chose; the handler also checks that it exists. */
const FilePath = z.string().trim().min(1, 'a file path, not an empty string');
/** A policy server's WebSocket address (openpi's protocol): ws://HOST:PORT or wss://HOST:PORT. */
const PolicyServerUrl = z
  .string()
  .trim()
  .regex(/^wss?:\/\/[^\s/?#]+(\/[^\s]*)?$/, 'a ws:// or wss:// address such as ws://127.0.0.1:8000')
  .refine(parsesAsUrl, 'not a valid address (host, or port above 65535?)');
function parsesAsUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
/** A shipped profile's name (openpi-libero, rsd-server) or a profile JSON file; the handler checks which. */
const PolicyProfile = z.string().trim().min(1, 'a profile name or a profile JSON file, not an empty string');
/** The NAME of an environment variable that holds the server's key: keys never go into settings.json. */
const EnvVarName = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable (letters, digits, _), not the key itself');

/** settings.json, version 1. Missing keys take their defaults; unknown keys make the file invalid. */
export const Settings = z
  .object({
    version: z.literal(1).default(1),
    /** The model bundle folder; null: the default bundle when one ships, else none. */
    bundleDir: FolderPath.nullable().default(null),
    /** A LIBERO checkout or its data folder; null: $RSD_LIBERO_DIR, else none. */
    liberoDir: FolderPath.nullable().default(null),
    /**
     * The Python interpreter that runs real LIBERO (the `libero` simulator, docs/libero-bridge.md);
     * null: $RSD_LIBERO_PYTHON, else `python3`.
     */
    liberoPython: FilePath.nullable().default(null),
    decoding: DecodingStrategy.default('speculative'),
    /** The policy server that remote runs and the policy.server row use; null: none. */
    policyServer: PolicyServerUrl.nullable().default(null),
    /** How observations map to that server's keys; null: the run's default profile. */
    policyProfile: PolicyProfile.nullable().default(null),
    /** The environment variable holding the server's key (sent as `Authorization: Api-Key`); null: no key. */
    policyApiKeyEnv: EnvVarName.nullable().default(null),
  })
  .strict();
export type Settings = z.output<typeof Settings>;

export const SETTING_KEYS = ['bundleDir', 'liberoDir', 'liberoPython', 'decoding', 'policyServer', 'policyProfile', 'policyApiKeyEnv'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** settings.set's params: the keys to change; null clears a folder, file, server, profile or variable. */
export const SettingsPatch = z
  .object({
    bundleDir: FolderPath.nullable().optional(),
    liberoDir: FolderPath.nullable().optional(),
    liberoPython: FilePath.nullable().optional(),
    decoding: DecodingStrategy.optional(),
    policyServer: PolicyServerUrl.nullable().optional(),
    policyProfile: PolicyProfile.nullable().optional(),
    policyApiKeyEnv: EnvVarName.nullable().optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const SettingsState = z.object({
  /** Where settings.json lives (RSD_DATA_DIR, else the OS's per-user data folder). */
  file: z.string(),
  /** False until the first settings.set writes it. */
  exists: z.boolean(),
  /** What the engine uses: the file's values, or the defaults when the file is missing or invalid. */
  settings: Settings,
  /** Why the file could not be used; it is left as it is until the user fixes or removes it. */
  problem: z.string().nullable(),
});
export type SettingsState = z.infer<typeof SettingsState>;

export const settingsRequests = {
  'settings.get': {
    params: z.object({}).strict(),
    result: SettingsState,
  },
  'settings.set': {
    params: SettingsPatch,
    result: SettingsState,
  },
} as const;
