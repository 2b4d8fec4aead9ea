import type { EngineHostKind } from '../system/info.js';
import { systemHandlers } from '../system/handlers.js';
import { EngineHost, type Handlers } from './host.js';

/** Every domain's handlers, joined: the compiler checks that each request in the contract has one. */
export function createHandlers(engineHost: EngineHostKind): Handlers {
  return {
    ...systemHandlers(engineHost),
  };
}

export function createEngineHost(engineHost: EngineHostKind): EngineHost {
  return new EngineHost(createHandlers(engineHost));
}
