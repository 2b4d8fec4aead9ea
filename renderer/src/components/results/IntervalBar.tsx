import { percent } from './format.js';

/** A success rate on a 0-100% track with its Wilson 95% interval as a band and the rate as a tick. */
export function IntervalBar({ rate, low, high }: { rate: number | null; low: number; high: number }) {
  const label = rate === null ? 'no episodes' : `${percent(rate)}, 95% interval ${percent(low)} to ${percent(high)}`;
  return (
    <svg className="interval-bar" viewBox="0 0 100 12" preserveAspectRatio="none" role="img" aria-label={label}>
      <rect className="interval-track" x={0} y={3} width={100} height={6} rx={2} />
      {rate !== null && (
        <>
          <rect className="interval-band" x={100 * low} y={3} width={Math.max(0.5, 100 * (high - low))} height={6} rx={2} />
          <rect className="interval-rate" x={Math.min(99, 100 * rate - 0.5)} y={0} width={1.2} height={12} />
        </>
      )}
    </svg>
  );
}
