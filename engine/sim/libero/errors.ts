import { SimulatorLost } from '../simulator.js';

/**
 * What can go wrong between the engine and a LIBERO worker, each by name (docs/libero-bridge.md).
 * Errors the worker's process does not survive (it died, hung or wrote garbage) are `SimulatorLost`:
 * the simulator starts a new worker on the next reset and the evaluation retries the episode once.
 */

/** The interpreter could not be started. */
export class PythonNotFoundError extends Error {
  constructor(python: string, detail: string) {
    super(`cannot start the Python interpreter ${python} for the LIBERO bridge: ${detail}; set it with --python PATH or the liberoPython setting (docs/libero-bridge.md)`);
    this.name = 'PythonNotFoundError';
  }
}

/** The interpreter runs but cannot import LIBERO (the worker's hello says why). */
export class LiberoMissingError extends Error {
  constructor(python: string, detail: string) {
    // The worker's message may name the interpreter itself ("X cannot import LIBERO: ..."): said once.
    super(`LIBERO cannot be imported by ${python}: ${detail.replace(/^.*cannot import LIBERO: /, '')} (docs/libero-bridge.md says how to connect a LIBERO install)`);
    this.name = 'LiberoMissingError';
  }
}

/** The worker speaks another protocol version than this engine. */
export class BridgeVersionError extends Error {
  constructor(script: string, got: unknown, expected: number) {
    super(`the LIBERO worker ${script} speaks bridge protocol ${JSON.stringify(got)}; this engine speaks ${expected} (a worker script from another release?)`);
    this.name = 'BridgeVersionError';
  }
}

/** The worker answered a request with an error (a bad action, an unknown task, an unstable simulation); it goes on serving. */
export class WorkerReplyError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`LIBERO worker: ${type}: ${message}`);
    this.name = type === 'SimulationError' ? 'SimulationError' : 'LiberoWorkerError';
  }
}

/** The worker process ended, stopped answering, or wrote something that is not a frame. */
export class WorkerLostError extends SimulatorLost {
  constructor(message: string) {
    super(message);
    this.name = 'LiberoWorkerLost';
  }
}
