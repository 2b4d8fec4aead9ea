import type { EpisodeRecord, Results } from '../../../../engine/api/schemas/results.js';

/**
 * Figures the Results page derives from a run's episodes beyond what results.json aggregates,
 * with the same definitions as docs/metrics.md "Acceptance".
 */

export interface LayerAcceptance {
  layer: number;
  /** Chunks that proposed this layer. */
  proposed: number;
  /** Of those, the chunks whose accepted prefix covers it. */
  accepted: number;
  /** accepted / proposed; null when none proposed it. */
  rate: number | null;
}

/** How many draft layers any chunk of the run proposed (the heat map's width). */
export function draftLayerCount(episodes: readonly EpisodeRecord[]): number {
  let n = 0;
  for (const e of episodes) for (const k of e.chunks.draftLayers) n = Math.max(n, k);
  return n;
}

/** Per draft layer j: chunks proposing j, and those that accepted it, over these episodes. */
export function layerAcceptance(episodes: readonly EpisodeRecord[], layers: number): LayerAcceptance[] {
  return Array.from({ length: layers }, (_, j) => {
    let proposed = 0;
    let accepted = 0;
    for (const e of episodes) {
      e.chunks.draftLayers.forEach((k, i) => {
        if (k > j) {
          proposed++;
          if ((e.chunks.acceptedLayers[i] ?? 0) > j) accepted++;
        }
      });
    }
    return { layer: j, proposed, accepted, rate: proposed === 0 ? null : accepted / proposed };
  });
}

/** The acceptance heat map: per task (in the run's order) x draft layer. */
export function taskLayerAcceptance(results: Results): { taskId: number; layers: LayerAcceptance[] }[] {
  const layers = draftLayerCount(results.episodes);
  return results.tasks.map((t) => ({ taskId: t.taskId, layers: layerAcceptance(results.episodes.filter((e) => e.taskId === t.taskId), layers) }));
}

/** An episode's acceptance: accepted draft layers over proposed ones, over its chunks; null when it proposed none. */
export function episodeAcceptance(e: EpisodeRecord): number | null {
  let proposed = 0;
  let accepted = 0;
  e.chunks.draftLayers.forEach((k, i) => {
    proposed += k;
    accepted += Math.min(k, e.chunks.acceptedLayers[i] ?? 0);
  });
  return proposed === 0 ? null : accepted / proposed;
}

/** Median of an episode's chunk totalMs, or null with no chunks. */
export function episodeChunkMedian(e: EpisodeRecord): number | null {
  const xs = [...e.chunks.latency.totalMs].sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = (xs.length - 1) / 2;
  return (xs[Math.floor(mid)]! + xs[Math.ceil(mid)]!) / 2;
}
