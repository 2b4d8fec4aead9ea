import { z } from 'zod';
import { FidelityOverview } from './schemas/fidelity.js';

/**
 * The `fidelity` domain: the simulator fidelity reports `rsd fidelity` writes
 * (engine/fidelity, docs/libero-bridge.md "Fidelity report"), for the Results page.
 */
export const fidelityRequests = {
  /**
   * The newest report in `<data dir>/fidelity/` as an overview (its tables, the episodes that
   * disagree, no per-step series); `report` null when
   * there is none, or when the newest cannot be read (`problem` says why, naming the file).
   */
  'fidelity.latest': {
    params: z.object({}).strict(),
    result: z.object({ dir: z.string(), file: z.string().nullable(), report: FidelityOverview.nullable(), problem: z.string().nullable() }),
  },
} as const;
