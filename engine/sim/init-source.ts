import { liberoInitStatesPath } from '../libero/libero-dir.js';
import { initStateRow, readInitStates, splitInitState, type InitState } from '../libero/init-states.js';
import type { SuiteName } from '../libero/suites.js';
import { projectInitStates, type InitSplit } from './embedded/project-init-states.js';

/**
 * Where a run's initial states come from: LIBERO's `.pruned_init` files (a LIBERO checkout), or
 * the project's own, settled in the embedded simulator (assets/libero/init_states). Evaluation
 * and the expert plan their episodes from the same source.
 */
export type InitSource = { kind: 'libero'; dir?: string } | { kind: 'project'; split?: InitSplit; root?: string };

export function initStatesFor(suite: SuiteName, taskId: number, objects: number, source: InitSource): InitState[] {
  if (source.kind === 'project') return projectInitStates(suite, taskId, source.split ?? 'eval', source.root);
  const states = readInitStates(liberoInitStatesPath(suite, taskId, source.dir));
  // Columns are 1 + nq + nv, and each object's free joint has 7 qpos and 6 qvel: nq - nv = objects.
  const nq = (states.cols - 1 + objects) / 2;
  const dims = { nq, nv: nq - objects };
  return Array.from({ length: states.rows }, (_, i) => splitInitState(initStateRow(states, i), dims));
}

export function initSourceName(source: InitSource): string {
  return source.kind === 'libero' ? "LIBERO's init_files" : `the project's ${source.split ?? 'eval'} initial states`;
}
