// The results table's decoding column: strategy, acceptance rule, and the depth when fewer layers were decoded.
import { describe, expect, it } from 'vitest';
import { decodingLabel } from '../../renderer/src/components/results/format.js';

describe('decodingLabel', () => {
  it('names the depth after the decoding only when fewer layers were decoded', () => {
    expect(decodingLabel('speculative', 'exact', null)).toBe('speculative (exact)');
    expect(decodingLabel('speculative', 'exact', null, { layers: 3, of: 8 })).toBe('speculative (exact), 3 of 8 layers');
    expect(decodingLabel('speculative', 'threshold', 0.7, { layers: 2, of: 8 })).toBe('speculative (threshold 0.7), 2 of 8 layers');
    expect(decodingLabel('autoregressive', null, null, { layers: 4, of: 8 })).toBe('autoregressive, 4 of 8 layers');
    expect(decodingLabel('parallel', null, null)).toBe('parallel');
  });
});
