// A pool worker for the pool's own tests: the protocol without MuJoCo. It doubles each job's value
// and says which thread ran it, whether the job brought its task's spec and its workerData's tag;
// on request it exits, throws, asks the main thread for a value, or never answers.
import { parentPort, threadId, workerData } from 'node:worker_threads';

export type Behaviour = 'answer' | 'exit' | 'throw' | 'ask' | 'hang';
export interface EchoTask {
  name: string;
}
export interface EchoJob {
  type: 'job';
  id: number;
  taskKey: number;
  task?: EchoTask;
  value: number;
  behaviour: Behaviour;
}
export type ToEcho = EchoJob | { type: 'reply'; id: number; value: number };
export type FromEcho =
  | { type: 'ready' }
  | { type: 'asked'; id: number }
  | { type: 'done'; id: number; value: number; task: string; withTask: boolean; thread: number; tag: string | null };

const port = parentPort!;
const post = (message: FromEcho): void => port.postMessage(message);
const tasks = new Map<number, EchoTask>();
const asked = new Map<number, EchoJob>();

const answer = (job: EchoJob, value: number): void => {
  const task = tasks.get(job.taskKey);
  if (!task) throw new Error(`task key ${job.taskKey} came without its task`);
  post({ type: 'done', id: job.id, value: value * 2, task: task.name, withTask: job.task !== undefined, thread: threadId, tag: (workerData as { tag?: string }).tag ?? null });
};

port.on('message', (message: ToEcho) => {
  if (message.type === 'reply') {
    const job = asked.get(message.id)!;
    asked.delete(message.id);
    return answer(job, message.value);
  }
  if (message.task) tasks.set(message.taskKey, message.task);
  switch (message.behaviour) {
    case 'answer':
      return answer(message, message.value);
    case 'exit':
      process.exit(5); // in a worker thread: ends the thread with this code
      return;
    case 'throw':
      throw new Error(`boom in job ${message.id}`);
    case 'ask':
      asked.set(message.id, message);
      return post({ type: 'asked', id: message.id });
    case 'hang':
      return post({ type: 'asked', id: message.id }); // and never answers
  }
});
post({ type: 'ready' });
