import type { TargetSpec } from '../api/schemas/run-request.js';
import { LocalTarget } from './local.js';
import type { ExecutionTarget } from './target.js';

/** The execution target a run configuration names. */
export function createTarget(spec: TargetSpec): ExecutionTarget {
  switch (spec.kind) {
    case 'local':
      return new LocalTarget();
  }
}
