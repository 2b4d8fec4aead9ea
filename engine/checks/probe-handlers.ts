import type { Handlers } from '../host/host.js';
import { defaultProfileName } from '../policy/remote/profile.js';
import { MissingServerKeyError, serverKey } from '../settings/server-key.js';
import type { SettingsStore } from '../settings/store.js';
import { describeMetadata } from './policy-server.js';
import { PolicyServerProbeError, probePolicyServer } from './policy-server-probe.js';

type PolicyHandlers = Pick<Handlers, 'policy.probe'>;

const named = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

/** `policy.probe`: the policy.server row's probe, for any address the Run page is given. */
export function policyHandlers(settings: SettingsStore, env: NodeJS.ProcessEnv): PolicyHandlers {
  return {
    'policy.probe': async ({ url, apiKey: given }) => {
      let key;
      try {
        key = serverKey(url, given, await settings.forRuns(), env);
      } catch (error) {
        if (error instanceof MissingServerKeyError) return { ok: false, url, reason: 'no-key', message: `${error.message}.` };
        throw error;
      }
      try {
        const probe = await probePolicyServer(url, key.apiKey ? { apiKey: key.apiKey } : {});
        const m = probe.metadata;
        return {
          ok: true,
          url,
          health: probe.health,
          metadataMs: probe.metadataMs,
          summary: describeMetadata(m),
          server: named(m.server),
          name: named(m.name),
          hash: named(m.hash),
          defaultProfile: defaultProfileName(m),
          key: key.source,
        };
      } catch (error) {
        if (error instanceof PolicyServerProbeError) return { ok: false, url, reason: error.reason, message: error.message };
        throw error;
      }
    },
  };
}
