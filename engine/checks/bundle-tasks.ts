import type { Manifest } from '../bundle/manifest.js';
import { ObservationEncoder } from '../bundle/observation.js';
import { PROJECT_SUITES, projectTask } from '../libero/project-tasks.js';
import { suiteTasks } from '../libero/suites.js';
import { message } from './types.js';

/**
 * Which of the project's tasks a bundle can act on, decided as `rsd eval` decides it: one
 * ObservationEncoder per task, from the task's objects (the project's BDDL) and its instruction.
 * An encoder that cannot be made (an entity the task lacks, an instruction a task-index bundle was
 * not trained on, a camera the simulators do not render) is a task the run would refuse.
 */
export interface TaskFit {
  suite: string;
  /** Task ids the bundle can act on. */
  fine: number[];
  /** Task ids it cannot, each with the encoder's reason. */
  refused: { taskId: number; reason: string }[];
}

export function taskFit(manifest: Manifest, root?: string): TaskFit[] {
  return PROJECT_SUITES.map((suite) => {
    const fit: TaskFit = { suite, fine: [], refused: [] };
    for (const task of suiteTasks(suite)) {
      try {
        const objects = projectTask(suite, task.id, root).objects.map((o) => o.name);
        new ObservationEncoder(manifest, objects, task.instruction);
        fit.fine.push(task.id);
      } catch (thrown) {
        fit.refused.push({ taskId: task.id, reason: message(thrown) });
      }
    }
    return fit;
  });
}

/** `libero_spatial tasks 3, 7 (of 10): ...`, the reasons grouped, or null when every task is fine. */
export function describeRefusals(fits: readonly TaskFit[]): string | null {
  const parts: string[] = [];
  for (const fit of fits) {
    if (fit.refused.length === 0) continue;
    const total = fit.fine.length + fit.refused.length;
    const byReason = new Map<string, number[]>();
    for (const r of fit.refused) {
      // The encoder's sentence without the bundle's name and the lists it repeats for every task.
      const reason = r.reason.replace(/^bundle "[^"]*" /, '').replace(/ \((it knows \d+|its objects): .*\)$/, '');
      byReason.set(reason, [...(byReason.get(reason) ?? []), r.taskId]);
    }
    const reasons = [...byReason].map(([reason, ids]) => `${ids.length === 1 ? 'task' : 'tasks'} ${ids.join(', ')}: ${reason}`);
    const which = fit.fine.length === 0 ? `none of the ${total} ${fit.suite} tasks` : `${fit.suite} ${fit.refused.length === 1 ? 'task' : 'tasks'} ${fit.refused.map((r) => r.taskId).join(', ')} (of ${total})`;
    parts.push(`It cannot act on ${which}, which an evaluation would refuse (${reasons.join('; ')}).`);
  }
  return parts.length ? parts.join(' ') : null;
}
