import type { Handlers } from '../host/host.js';
import { collectSystemInfo, probeOnnxRuntime, type EngineHostKind } from './info.js';

type SystemHandlers = Pick<Handlers, 'system.info' | 'system.health'>;

export function systemHandlers(engineHost: EngineHostKind): SystemHandlers {
  let cached: ReturnType<typeof collectSystemInfo> | undefined;
  return {
    'system.info': async ({ refresh }) => {
      if (refresh || !cached) {
        // "Probe again" probes the providers again too; the first call uses the Checklist's probe if it ran.
        cached = collectSystemInfo(engineHost, { fresh: Boolean(refresh) });
        cached.catch(() => (cached = undefined));
        return cached;
      }
      // The providers as the last probe found them: a Checklist run since then shows here too.
      return { ...(await cached), onnxruntime: await probeOnnxRuntime() };
    },
    'system.health': () => ({
      status: 'ok',
      pid: process.pid,
      uptimeSec: process.uptime(),
      rssBytes: process.memoryUsage.rss(),
    }),
  };
}
