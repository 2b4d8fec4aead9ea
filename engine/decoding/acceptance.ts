import { ACCEPT_RULES as RULES, type AcceptRule } from '../api/schemas/run-config.js';
import { argmaxRow, sampleRow, sampleWeights, softmaxRow, type Random } from './categorical.js';

/**
 * Acceptance rules for one proposed code layer (docs/bundle-format.md "Decoding"). A layer has P
 * codes of L levels; `main` holds the main model's logits at the verify position that predicts the
 * layer (conditioned on the proposed coarser layers), `draft` the draft's logits for it.
 *
 * - exact: accepted when every proposed code is the main argmax; lossless against greedy decoding.
 * - threshold (tau): accepted when matches / P >= tau, matches counting codes equal to the main
 *   argmax; an accepted layer keeps the DRAFT's codes (lossy). tau = 1 is exact.
 * - stochastic (Leviathan et al.): the proposal was sampled from q = softmax(draft); each code is
 *   kept with probability min(1, p(x)/q(x)), else replaced by a draw from max(0, p - q) normalised,
 *   so every code is distributed as p = softmax(main). The layer counts as accepted when all its
 *   codes were kept; a rejected layer's codes are the mix of kept and resampled codes.
 * A rejected layer (exact, threshold) takes the main argmax. RNG draws per code, in order: one for
 * the accept test, one more for a resample.
 */

/** The rules are part of the run configuration's schema (engine/api/schemas/run-config.ts). */
export type { AcceptRule };
export const ACCEPT_RULES: readonly AcceptRule[] = RULES;

/** Where one layer's data sits in flat arrays: logits rows of P x L, codes of P. */
export interface LayerInput {
  main: Float32Array;
  mainOffset: number;
  draft: Float32Array;
  draftOffset: number;
  proposed: Int32Array;
  proposedOffset: number;
}

export interface LayerVerdict {
  accepted: boolean;
  /** Proposed codes equal to the main argmax (the layer's agreement is matches / P). */
  matches: number;
}

export class Acceptor {
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly residual: Float64Array;

  constructor(
    readonly rule: AcceptRule,
    readonly P: number,
    readonly L: number,
    /** threshold's tau, in [0, 1]. */
    readonly tau = 0.7,
  ) {
    this.p = new Float64Array(L);
    this.q = new Float64Array(L);
    this.residual = new Float64Array(L);
  }

  /** How the draft proposes: its argmax, or (stochastic) a draw from softmax(draft). */
  propose(draft: Float32Array, offset: number, rng: Random | null): number {
    return this.rule === 'stochastic' ? sampleRow(draft, offset, this.L, rng!, this.p) : argmaxRow(draft, offset, this.L);
  }

  /** How the main model picks a layer it decodes itself: argmax, or (stochastic) a draw from softmax(main). */
  pick(main: Float32Array, offset: number, rng: Random | null): number {
    return this.rule === 'stochastic' ? sampleRow(main, offset, this.L, rng!, this.p) : argmaxRow(main, offset, this.L);
  }

  /** Judges one layer and writes its final P codes to out[outOffset..]. */
  judge(x: LayerInput, rng: Random | null, out: Int32Array, outOffset: number): LayerVerdict {
    const { P, L } = this;
    const matches = this.matches(x);
    if (this.rule === 'stochastic') return { accepted: this.stochastic(x, rng!, out, outOffset), matches };
    const accepted = this.rule === 'exact' ? matches === P : matches / P >= this.tau;
    for (let c = 0; c < P; c++) out[outOffset + c] = accepted ? x.proposed[x.proposedOffset + c]! : argmaxRow(x.main, x.mainOffset + c * L, L);
    return { accepted, matches };
  }

  /** Proposed codes equal to the main argmax (agreement, whatever the rule). */
  matches(x: LayerInput): number {
    let matches = 0;
    for (let c = 0; c < this.P; c++) if (x.proposed[x.proposedOffset + c] === argmaxRow(x.main, x.mainOffset + c * this.L, this.L)) matches++;
    return matches;
  }

  private stochastic(x: LayerInput, rng: Random, out: Int32Array, outOffset: number): boolean {
    const { P, L, p, q, residual } = this;
    let all = true;
    for (let c = 0; c < P; c++) {
      softmaxRow(x.main, x.mainOffset + c * L, L, p);
      softmaxRow(x.draft, x.draftOffset + c * L, L, q);
      const code = x.proposed[x.proposedOffset + c]!;
      // u < p/q accepts with probability min(1, p/q); q(code) > 0 because code was drawn from q.
      if (rng.next() * q[code]! < p[code]!) {
        out[outOffset + c] = code;
        continue;
      }
      all = false;
      let mass = 0;
      for (let l = 0; l < L; l++) mass += residual[l] = Math.max(0, p[l]! - q[l]!);
      // No residual mass means p = q up to rounding: then p itself is the right distribution.
      out[outOffset + c] = sampleWeights(mass > 0 ? residual : p, L, rng);
    }
    return all;
  }
}
