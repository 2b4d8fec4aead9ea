import { spawn, type ChildProcess } from 'node:child_process';
import { BadFrameError, encodeFrame, FrameReader } from './frames.js';
import { PythonNotFoundError, WorkerLostError, WorkerReplyError } from './errors.js';

/**
 * One LIBERO worker process (python/libero_bridge/worker.py) and the requests in flight to it:
 * frames over its stdin and stdout, its stderr kept (the last lines name what went wrong), a
 * deadline per request. When the process exits, stops answering within a deadline or writes
 * something that is not a frame, every waiting request fails with `WorkerLostError` and the
 * process is killed; its owner starts another.
 */

export interface WorkerCommand {
  /** The interpreter (or, for a stand-in, any executable). */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

interface Waiting {
  op: string;
  resolve(reply: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Keeps the last lines of the worker's stderr for error messages (and RSD_BRIDGE_DEBUG=1 echoes them). */
const STDERR_TAIL_BYTES = 4000;

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stderrTail = '';
  private lostError: WorkerLostError | null = null;
  private hello: { resolve(m: Record<string, unknown>): void; reject(e: Error): void } | null = null;
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly what: WorkerCommand,
    helloTimeoutMs: number,
    readonly helloReply: Promise<Record<string, unknown>>,
    resolveHello: (m: Record<string, unknown>) => void,
    rejectHello: (e: Error) => void,
  ) {
    this.hello = { resolve: resolveHello, reject: rejectHello };
    this.child = spawn(what.command, what.args, { stdio: ['pipe', 'pipe', 'pipe'], env: what.env ?? process.env });
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    this.child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (process.env.RSD_BRIDGE_DEBUG === '1') process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    this.child.stdin!.on('error', () => undefined); // EPIPE after an exit: reported by 'close'
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      const failure = error.code === 'ENOENT' || error.code === 'EACCES' ? new PythonNotFoundError(what.command, error.message) : error;
      this.hello?.reject(failure);
      this.hello = null;
      this.lose(`the worker could not be started: ${error.message}`);
    });
    this.child.once('close', (code, signal) => this.lose(`the worker process exited (${signal ? `signal ${signal}` : `status ${code}`})${this.lastWords()}`));
    const timer = setTimeout(() => this.lose(`the worker sent no hello within ${helloTimeoutMs / 1000} s`, true), helloTimeoutMs);
    void helloReply.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  }

  /** Starts the process; `helloReply` resolves with its first frame. */
  static start(what: WorkerCommand, helloTimeoutMs: number): WorkerProcess {
    let resolve!: (m: Record<string, unknown>) => void;
    let reject!: (e: Error) => void;
    const hello = new Promise<Record<string, unknown>>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    hello.catch(() => undefined); // the owner awaits it; an early failure is not unhandled
    return new WorkerProcess(what, helloTimeoutMs, hello, resolve, reject);
  }

  get alive(): boolean {
    return this.lostError === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a request and waits for its reply; an error reply rejects with WorkerReplyError. */
  request(op: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.lostError) return Promise.reject(this.lostError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.lose(`the worker did not answer ${op} within ${timeoutMs / 1000} s (hung?)`, true), timeoutMs);
      this.waiting.set(id, { op, resolve, reject, timer });
      this.child.stdin!.write(encodeFrame({ ...fields, op, id }));
    });
  }

  /** Asks the worker to close and waits for it to exit; kills it if it does not within `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.alive) {
      await this.request('close', {}, graceMs).catch(() => undefined);
      this.child.stdin!.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the process for good; waiting requests fail with the reason. */
  kill(reason: string): void {
    this.lose(reason, true);
  }

  private receive(chunk: Buffer): void {
    let messages: Record<string, unknown>[];
    try {
      messages = this.reader.push(chunk);
    } catch (error) {
      this.lose(error instanceof BadFrameError ? error.message : `unreadable output: ${(error as Error).message}`, true);
      return;
    }
    for (const message of messages) this.dispatch(message);
  }

  private dispatch(message: Record<string, unknown>): void {
    if (this.hello) {
      const hello = this.hello;
      this.hello = null;
      hello.resolve(message);
      return;
    }
    const id = message.id;
    const waiting = typeof id === 'number' ? this.waiting.get(id) : undefined;
    if (!waiting) {
      this.lose(`a reply for no request in flight (id ${JSON.stringify(id)})`, true);
      return;
    }
    this.waiting.delete(id as number);
    clearTimeout(waiting.timer);
    if (message.ok === true) return waiting.resolve(message);
    const error = message.error as { type?: unknown; message?: unknown } | undefined;
    waiting.reject(new WorkerReplyError(String(error?.type ?? 'Error'), String(error?.message ?? `${waiting.op} failed without a message`)));
  }

  /** Marks the process lost (once), fails everything waiting, and kills it when asked to. */
  private lose(reason: string, kill = false): void {
    if (kill && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    if (this.lostError) return;
    this.lostError = new WorkerLostError(`LIBERO worker ${this.child.pid ?? ''} (${this.what.command}): ${reason}`.replace('  ', ' '));
    this.hello?.reject(this.lostError);
    this.hello = null;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(this.lostError);
    }
    this.waiting.clear();
  }

  private lastWords(): string {
    const lines = this.stderrTail.trim().split('\n').filter(Boolean);
    return lines.length ? `; its last output: ${lines.slice(-3).join(' | ')}` : '';
  }
}
