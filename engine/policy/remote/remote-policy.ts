import { wallTimeRecord } from '../../decoding/record.js';
import { PartialBatchError, type Policy, type PolicyChunk, type PolicyInput, type PolicyMetadata } from '../policy.js';
import { ServerConnection } from './connection.js';
import { PolicyConnectionError, PolicyReplyError } from './errors.js';
import { packMessage, unpackMessage } from './msgpack-numpy.js';
import { ObservationEncoder, type ServerCamera } from './observation-encoder.js';
import { defaultProfileName, loadProfile, ProfileError, type LoadedProfile } from './profile.js';
import { readReply, type ReplyExpectation } from './reply.js';
import { readServerMetadata, serverDecoding, type ServerMetadata } from './server-metadata.js';

/**
 * A policy server speaking openpi's WebSocket + msgpack protocol as a `Policy`
 * (docs/remote-policies.md): openpi's `serve_policy.py`, the project's python/policy_server,
 * anything compatible. Observations are encoded by the profile (profile.ts); each item of a batch
 * goes on its own connection from a small pool, since a server answers one request per connection
 * at a time; an item that fails (no reply in time, a dropped connection, the server's error, a bad
 * reply) fails alone (PartialBatchError), so only its episode ends. A connection that failed is
 * dropped and the next request opens a new one, trying a few times before it gives up.
 */

export interface RemotePolicyOptions {
  url: string;
  /** A shipped profile's name or a profile file; default from the server's metadata (profile.ts). */
  profile?: string;
  apiKey?: string;
  /** Per chunk (and per connection attempt); default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Attempts to open a connection before a request fails; default 3. */
  connectTries?: number;
}

/** Generous: a 7B model on a slow GPU, or a server's first request (compilation), may take many seconds. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export class RemotePolicy implements Policy {
  readonly metadata: PolicyMetadata;
  private readonly idle: ServerConnection[] = [];
  private readonly live = new Set<ServerConnection>();
  private readonly expectation: ReplyExpectation;
  private closed = false;

  private constructor(
    private readonly options: Required<Pick<RemotePolicyOptions, 'url' | 'timeoutMs' | 'connectTries'>> & Pick<RemotePolicyOptions, 'apiKey'>,
    first: ServerConnection,
    readonly server: ServerMetadata,
    readonly profile: LoadedProfile,
    private readonly encoder: ObservationEncoder,
  ) {
    const { url } = options;
    const p = profile.profile;
    const execute = p.action.execute === 'all' ? null : p.action.execute;
    const decoding = serverDecoding(server);
    this.metadata = {
      kind: 'remote',
      // A server that names no policy or hash is known by its address.
      name: server.name ?? url,
      hash: server.hash ?? url,
      observation: { cameras: encoder.cameras, proprio: p.observation.state ? 8 : 0, objectPoses: p.observation.objectPoses !== undefined, instruction: p.observation.prompt !== undefined },
      action: { dim: p.action.dim, chunk: execute ?? server.action?.chunk ?? 0 },
      decoding,
      executionProvider: { requested: 'remote', used: 'remote', reason: `the policy runs on the server at ${url}` },
      remote: { url, profile: profile.source, server: server.server ?? null, name: server.name ?? null, hash: server.hash ?? null },
    };
    this.expectation = { execute, dim: p.action.dim, decoding };
    this.live.add(first);
    this.idle.push(first);
  }

  /** Connects, reads the server's metadata and settles the profile; every refusal is a named error. */
  static async connect(options: RemotePolicyOptions, signal?: AbortSignal): Promise<RemotePolicy> {
    const o = { url: options.url, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, connectTries: options.connectTries ?? 3, ...(options.apiKey ? { apiKey: options.apiKey } : {}) };
    const first = await openWithRetries(o, signal);
    try {
      const server = readServerMetadata(o.url, first.metadata);
      const profile = loadProfile(options.profile ?? defaultProfileName(server));
      const encoder = new ObservationEncoder(profile.profile, serverCameras(o.url, server, profile));
      return new RemotePolicy(o, first, server, profile, encoder);
    } catch (error) {
      first.close();
      throw error;
    }
  }

  check(): void {
    // A server does not say which tasks it was trained on: its replies decide.
  }

  async inferBatch(inputs: readonly PolicyInput[], signal?: AbortSignal): Promise<PolicyChunk[]> {
    signal?.throwIfAborted();
    if (this.closed) throw new PolicyConnectionError(`the remote policy at ${this.options.url} is closed`);
    const outcomes = await Promise.all(inputs.map((input) => this.infer(input, signal).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
    const failed = outcomes.filter((o): o is Error => o instanceof Error);
    if (failed.length === 0) return outcomes as PolicyChunk[];
    signal?.throwIfAborted();
    if (outcomes.length === 1) throw failed[0];
    throw new PartialBatchError(outcomes);
  }

  /** Before a run's episodes: idle connections close, so the next requests start on fresh ones (a server's per-connection state is gone). */
  reset(): void {
    for (const connection of this.idle.splice(0)) this.drop(connection);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const connection of [...this.live]) this.drop(connection);
  }

  /** One observation on one connection: encode, send, wait, decode, check. */
  private async infer(input: PolicyInput, signal?: AbortSignal): Promise<PolicyChunk> {
    const message = packMessage(this.encoder.encode(input));
    const connection = await this.acquire(signal);
    const started = performance.now();
    let bytes: Buffer;
    try {
      bytes = await connection.request(message, this.options.timeoutMs, signal);
    } catch (error) {
      this.drop(connection);
      throw error;
    }
    const roundTripMs = performance.now() - started;
    if (this.closed) this.drop(connection);
    else this.idle.push(connection);
    let reply;
    try {
      reply = unpackMessage(bytes);
    } catch (error) {
      throw new PolicyReplyError(`the reply is not readable: ${(error as Error).message}`);
    }
    const chunk = readReply(reply, this.expectation, roundTripMs);
    return { actions: chunk.actions, record: chunk.record ?? wallTimeRecord(this.metadata.decoding.strategy, roundTripMs), ...(chunk.codes ? { codes: chunk.codes } : {}) };
  }

  /** An idle open connection, or a new one; a server that comes back with other weights is refused. */
  private async acquire(signal?: AbortSignal): Promise<ServerConnection> {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.usable) return c;
      this.drop(c);
    }
    const connection = await openWithRetries(this.options, signal);
    if (this.closed) {
      connection.close();
      throw new PolicyConnectionError(`the remote policy at ${this.options.url} is closed`);
    }
    const hash = typeof connection.metadata.hash === 'string' ? connection.metadata.hash : undefined;
    if (hash !== this.server.hash) {
      connection.close();
      throw new PolicyConnectionError(`the policy server at ${this.options.url} now serves ${hash ?? 'weights with no hash'}, the run started with ${this.server.hash ?? 'none'}; one run evaluates one policy`);
    }
    this.live.add(connection);
    return connection;
  }

  private drop(connection: ServerConnection): void {
    connection.close();
    this.live.delete(connection);
  }
}

/** Opens a connection, trying again after a pause when the server cannot be reached; an HTTP refusal (the API key) is final. */
async function openWithRetries(o: { url: string; apiKey?: string; timeoutMs: number; connectTries: number }, signal?: AbortSignal): Promise<ServerConnection> {
  let last: Error | null = null;
  for (let attempt = 1; attempt <= o.connectTries; attempt++) {
    try {
      return await ServerConnection.open({ url: o.url, timeoutMs: o.timeoutMs, ...(o.apiKey ? { apiKey: o.apiKey } : {}) }, signal);
    } catch (error) {
      last = error as Error;
      if (signal?.aborted || /refused the connection: HTTP/.test(last.message)) throw last;
      if (attempt < o.connectTries) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  throw Object.assign(last!, { message: `${last!.message} (tried ${o.connectTries} times)` });
}

/** The cameras the server's metadata asks for, under the profile's keys; a camera the profile has no key for is refused. */
function serverCameras(url: string, server: ServerMetadata, profile: LoadedProfile): ServerCamera[] {
  const keys = profile.profile.observation.serverCameras;
  if (!keys) return [];
  return (server.observation?.cameras ?? []).map((c) => {
    const key = keys[c.name as keyof typeof keys];
    if (!key) throw new ProfileError(profile.source, `policy profile ${profile.source}: the server at ${url} asks for the camera "${c.name}", and observation.serverCameras has no key for it (it has ${Object.keys(keys).join(', ')})`);
    return { name: c.name, width: c.width, height: c.height, key };
  });
}
