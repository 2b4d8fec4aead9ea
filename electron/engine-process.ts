import { EventEmitter } from 'node:events';
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import type { Reply, ReplyEnvelope } from '../engine/api/contract.js';
import type { RsdError } from '../engine/api/errors.js';

interface EngineProcessEvents {
  /** An event envelope from the engine, to forward to windows. */
  event: [envelope: unknown];
  /** The engine came up or went away: forwarded as `engine.status`. */
  status: [state: 'ready' | 'exited' | 'crashed', detail?: string];
}

/**
 * Owns the engine host: an Electron utility process (onnxruntime and MuJoCo block their thread, so
 * never this one) reached over a MessagePort. Reports exit and crash; rejects calls in flight when it
 * dies; starts again on the next call.
 */
export class EngineProcess extends EventEmitter<EngineProcessEvents> {
  private child: UtilityProcess | undefined;
  private port: MessagePortMain | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private stopping = false;
  /** The grant messages sent so far, sent again to a restarted engine host. */
  private readonly grants = new Set<string>();

  constructor(private readonly entry: string) {
    super();
  }

  start(): void {
    if (this.child) return;
    const child = utilityProcess.fork(this.entry, [], { serviceName: 'RSD Workbench engine', stdio: 'inherit' });
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage({ connect: true }, [port2]);
    port1.on('message', ({ data }) => this.receive(String(data)));
    port1.start();
    child.on('exit', (code) => this.exited(code));
    this.child = child;
    this.port = port1;
    // A restarted engine host keeps what the user chose in this session.
    for (const message of this.grants) port1.postMessage(message);
  }

  /**
   * Lets the engine use a path the user chose in a native dialog (electron/dialogs.ts). Sent on this
   * port, which only main holds, as `{grant: {access, path}}`: a message the page cannot send, since
   * a page's request reaches the port only as the `params` of an envelope built by `request`. The
   * port keeps order, so the grant arrives before any request that uses the path.
   */
  grant(access: 'read' | 'write', file: string): void {
    if (!this.child) this.start();
    const message = JSON.stringify({ grant: { access, path: file } });
    this.grants.add(message);
    this.port!.postMessage(message);
  }

  request(type: string, params: unknown): Promise<Reply> {
    if (!this.child) this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve) => {
      this.pending.set(id, resolve);
      this.port!.postMessage(JSON.stringify({ id, type, params }));
    });
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as ReplyEnvelope | { event: string; payload: unknown };
    if ('event' in message) {
      if (message.event === 'engine.status') this.emit('status', 'ready');
      else this.emit('event', message);
      return;
    }
    const { id, ...reply } = message;
    if (id === null) return; // the host only sends id null for unreadable requests, which main never sends
    this.pending.get(id)?.(reply);
    this.pending.delete(id);
  }

  private exited(code: number): void {
    const crashed = !this.stopping && code !== 0;
    const detail = `engine host exited with code ${code}`;
    this.child = undefined;
    this.port?.close();
    this.port = undefined;
    for (const resolve of this.pending.values()) resolve({ ok: false, error: { kind: 'engine-unavailable', message: `${detail} while the call was in flight` } });
    this.pending.clear();
    this.emit('status', crashed ? 'crashed' : 'exited', detail);
  }
}
