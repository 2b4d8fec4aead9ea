import { DECODING_STRATEGIES, type DecodingStrategy } from '../api/schemas/run-config.js';
import type { Manifest } from './manifest.js';

/** A decoding strategy and whether a bundle can run it; `reason` says why not (the decoder's rule, engine/decoding/decoder.ts). */
export interface DecodingChoice {
  strategy: DecodingStrategy;
  supported: boolean;
  reason: string | null;
}

/**
 * The strategies a bundle's manifest allows: parallel needs a parallel main model; autoregressive a
 * layerwise one; speculative a layerwise one and a draft. The Run page offers only these.
 */
export function bundleDecodings(m: Pick<Manifest, 'main' | 'draft'>): DecodingChoice[] {
  const why = (strategy: DecodingStrategy): string | null => {
    if (strategy === 'parallel') return m.main.decoding === 'parallel' ? null : 'its main model is layerwise (layer by layer, no parallel head)';
    if (m.main.decoding !== 'layerwise') return 'its main model is parallel (every layer in one pass)';
    if (strategy === 'speculative' && !m.draft) return 'it has no draft model to propose the coarse layers';
    return null;
  };
  return DECODING_STRATEGIES.map((strategy) => {
    const reason = why(strategy);
    return { strategy, supported: reason === null, reason };
  });
}
