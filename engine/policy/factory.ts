import type * as Ort from 'onnxruntime-node';
import type { PolicyRequest } from '../api/schemas/run-request.js';
import type { ExecutionProviderRequest } from '../bundle/bundle.js';
import { BundlePolicy } from './bundle-policy.js';
import type { Policy } from './policy.js';
import { RemotePolicy } from './remote/remote-policy.js';

type BundleRequest = Extract<PolicyRequest, { kind: 'bundle' }>;
type RemoteRequest = Extract<PolicyRequest, { kind: 'remote' }>;

/** A bundle as a resolved run names it: the request's choices with the folder and provider decided (the bundle may still pick its decoding). */
export type BundleSpec = Omit<BundleRequest, 'dir' | 'ep'> & { dir: string; ep: ExecutionProviderRequest };
/** A policy server as a resolved run names it: the request's, with the time limit decided (the profile may still come from the server's metadata). */
export type RemoteSpec = Omit<RemoteRequest, 'timeoutMs'> & { timeoutMs: number };
/** A policy as a resolved run names it. */
export type PolicySpec = BundleSpec | RemoteSpec;

export interface PolicyOptions {
  /** The decoder's own random stream (sampled decoding without per-input streams). */
  seed?: number;
  sessionOptions?: Omit<Ort.InferenceSession.SessionOptions, 'executionProviders'>;
}

/** The policy a run configuration names. */
export async function createPolicy(spec: PolicySpec, options: PolicyOptions = {}): Promise<Policy> {
  switch (spec.kind) {
    case 'bundle':
      return BundlePolicy.load({ ...spec, ...options });
    case 'remote':
      return RemotePolicy.connect(spec);
  }
}
