import type { Settings } from '../api/settings.js';

/**
 * The API key sent to a policy server: the one a request gives, else the one in the environment
 * variable the settings name (`policyApiKeyEnv`), but only for the settings' own server
 * (`policyServer`): a key is never sent to an address the user did not save it for. Keys are
 * never stored, in settings or with a run.
 */

export interface ServerKey {
  apiKey?: string;
  source: 'given' | 'settings' | 'none';
}

/** The settings name a key variable for this server, and the engine's environment lacks it. */
export class MissingServerKeyError extends Error {
  constructor(
    readonly variable: string,
    /** The request's field the key would have come in (the host names it in its refusal). */
    readonly field: string,
  ) {
    super(`the settings send the policy server's key from $${variable} (policyApiKeyEnv), but the engine's environment has no ${variable}: set it where the app or rsd serve starts, or give the key`);
    this.name = 'MissingServerKeyError';
  }
}

export function serverKey(url: string, given: string | undefined, settings: Pick<Settings, 'policyServer' | 'policyApiKeyEnv'> | null, env: NodeJS.ProcessEnv, field = 'apiKey'): ServerKey {
  if (given) return { apiKey: given, source: 'given' };
  const variable = settings?.policyApiKeyEnv;
  if (!variable || !settings?.policyServer || !sameServer(url, settings.policyServer)) return { source: 'none' };
  const apiKey = env[variable];
  if (!apiKey) throw new MissingServerKeyError(variable, field);
  return { apiKey, source: 'settings' };
}

/** Two addresses of one server (`ws://h:8000` and `ws://h:8000/` are one). */
export function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a.trim() === b.trim();
  }
}
