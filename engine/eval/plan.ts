import type { InitState } from '../libero/init-states.js';
import { projectTask } from '../libero/project-tasks.js';
import { suiteTask, type SuiteName } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import type { TaskContext } from '../policy/policy.js';
import { initSourceName, initStatesFor, type InitSource } from '../sim/init-source.js';

/** One planned episode: trial t of a task starts from initial state t. */
export interface PlannedEpisode {
  taskId: number;
  trial: number;
  initIndex: number;
  task: TaskSpec;
  init: InitState;
}

/** A run's episodes, task by task (so a worker mostly keeps one compiled scene). */
export function planEpisodes(suite: SuiteName, tasks: readonly number[], trials: number, source: InitSource): PlannedEpisode[] {
  const episodes: PlannedEpisode[] = [];
  for (const taskId of tasks) {
    const task = projectTask(suite, taskId);
    const states = initStatesFor(suite, taskId, task.objects.length, source);
    if (states.length < trials) throw new Error(`${suite} task ${taskId} has ${states.length} initial states in ${initSourceName(source)}, fewer than the ${trials} trials asked for`);
    for (let t = 0; t < trials; t++) episodes.push({ taskId, trial: t, initIndex: t, task, init: states[t]! });
  }
  return episodes;
}

/** What a policy is told of a task. */
export function taskContext(suite: SuiteName, taskId: number, task: TaskSpec): TaskContext {
  return { suite, taskId, instruction: suiteTask(suite, taskId).instruction, objects: task.objects.map((o) => o.name) };
}
