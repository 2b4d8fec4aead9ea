import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExpertEpisode } from '../../../engine/expert/episodes.js';
import { expertEpisodes } from '../../../engine/expert/suite.js';

/** LIBERO's data (bddl_files, init_files) next to the checkout, as the other engine tests use it. */
export const LIBERO = path.resolve('../shared/libero');
export const haveLibero = existsSync(path.join(LIBERO, 'init_files'));

/** Episodes of libero_spatial task `taskId` from LIBERO's init states `rows`. */
export function liberoEpisodes(taskId: number, rows: readonly number[]): ExpertEpisode[] {
  const all = expertEpisodes('libero_spatial', [taskId], Math.max(...rows) + 1, { kind: 'libero', dir: LIBERO });
  return rows.map((r) => all[r]!);
}
