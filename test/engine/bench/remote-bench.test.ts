import { describe, expect, it } from 'vitest';
import { formatRemoteBench, runRemoteBench } from '../../../engine/bench/remote-bench.js';

// The bench runs end to end (echo server in a worker thread, three arms); no figure is asserted.
describe('rsd bench remote', () => {
  it('times the client, openpi-libero and the raw WebSocket against the echo server, and formats them', async () => {
    const r = await runRemoteBench({ chunks: 10, warmup: 2 });
    expect(r.chunks).toBe(10);
    for (const s of [r.client, r.openpiLibero, r.baseline]) {
      expect(Number.isFinite(s.medianMs) && s.medianMs > 0).toBe(true);
      expect(s.p95Ms).toBeGreaterThanOrEqual(s.medianMs);
    }
    // Two 224 x 224 x 3 images and the rest.
    expect(r.requestBytes).toBeGreaterThan(2 * 224 * 224 * 3);
    expect(formatRemoteBench(r).split('\n')).toHaveLength(6);
  });
});
