import type { Handlers } from '../host/host.js';
import { collectSystemInfo, type EngineHostKind } from './info.js';

type SystemHandlers = Pick<Handlers, 'system.info' | 'system.health'>;

export function systemHandlers(engineHost: EngineHostKind): SystemHandlers {
  let cached: ReturnType<typeof collectSystemInfo> | undefined;
  return {
    'system.info': ({ refresh }) => {
      if (refresh || !cached) {
        cached = collectSystemInfo(engineHost);
        cached.catch(() => (cached = undefined));
      }
      return cached;
    },
    'system.health': () => ({
      status: 'ok',
      pid: process.pid,
      uptimeSec: process.uptime(),
      rssBytes: process.memoryUsage.rss(),
    }),
  };
}
