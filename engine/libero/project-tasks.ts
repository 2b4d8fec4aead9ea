import { existsSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from '../util/app-root.js';
import { readBddlFile } from './bddl.js';
import { suiteTask, type SuiteName } from './suites.js';
import type { TaskSpec } from './task.js';

/**
 * The project's own task definitions (assets/libero/<suite>/<task>.bddl): what the embedded
 * simulator runs out of the box, without LIBERO installed. Their scene facts equal LIBERO's so
 * that LIBERO's initial states apply; test/engine/libero/project-tasks.test.ts holds them to it.
 */

/** Suites the project defines itself; others need LIBERO's files (libero-dir.ts). */
export const PROJECT_SUITES: readonly SuiteName[] = ['libero_spatial'];

export function projectTaskPath(suite: string, task: number | string, root: string = appRoot()): string {
  const t = suiteTask(suite, task);
  if (!PROJECT_SUITES.includes(t.suite)) {
    throw new Error(`the project defines only ${PROJECT_SUITES.join(', ')} tasks, not ${t.suite}: use LIBERO's own task files (set RSD_LIBERO_DIR) for it`);
  }
  return path.join(root, 'assets', 'libero', t.suite, `${t.name}.bddl`);
}

/** The project's TaskSpec for a task, by id or name. */
export function projectTask(suite: string, task: number | string, root?: string): TaskSpec {
  const file = projectTaskPath(suite, task, root);
  if (!existsSync(file)) throw new Error(`the project's definition of ${suite} task ${String(task)} is missing (a broken install?): ${file}`);
  return readBddlFile(file);
}
