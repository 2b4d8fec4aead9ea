import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FidelityReport, OVERVIEW_DISAGREEMENTS, type FidelityOverview } from '../api/schemas/fidelity.js';
import { formatPath } from '../runs/results-schema.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { MiB, readTextFileSafely } from '../util/safe-read.js';

/**
 * Fidelity reports on disk: one JSON file per `rsd fidelity`, `<data dir>/fidelity/<id>.json`
 * beside the runs folder, `<id>` a time stamp to the millisecond such as 20261125-105430123-3fa9c1
 * (newest sorts last), written atomically (engine/util/atomic-write.ts).
 */

export const FIDELITY_DIR = 'fidelity';
/** Larger than any report of a 500-episode suite with both sources and both fixture modes. */
const MAX_REPORT_BYTES = 256 * MiB;
const REPORT_FILE = /^\d{8}-\d{9}-[0-9a-f]{6}\.json$/;

export function fidelityDir(dataDir: string): string {
  return path.join(dataDir, FIDELITY_DIR);
}

/** `20261125-105430123-3fa9c1`: sorts by creation time (to the millisecond), random tail against collisions. */
export function newReportId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-25T10:54:30.123Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}${iso.slice(20, 23)}-${randomBytes(3).toString('hex')}`;
}

/** Writes `report` as `<dir>/<report.id>.json`, checked against its schema first; returns the file. */
export async function writeReport(dir: string, report: FidelityReport): Promise<string> {
  const file = path.join(dir, `${report.id}.json`);
  await writeFileAtomic(file, JSON.stringify(FidelityReport.parse(report)) + '\n');
  return file;
}

export interface LatestReport {
  dir: string;
  file: string | null;
  report: FidelityOverview | null;
  /** Why the newest report could not be read. */
  problem: string | null;
}

/** The report without its episodes: their count and the first ones whose success differed, without series. */
export function overview(report: FidelityReport): FidelityOverview {
  const { episodes, ...rest } = report;
  const disagreeing = episodes.filter((e) => !e.agree);
  return {
    ...rest,
    episodeCount: episodes.length,
    disagreements: disagreeing.slice(0, OVERVIEW_DISAGREEMENTS).map(({ eefError: _e, objectError: _o, ...row }) => row),
    disagreementCount: disagreeing.length,
  };
}

/** Reads and checks one report file. */
export async function readReport(file: string): Promise<FidelityReport> {
  const text = await readTextFileSafely(file, MAX_REPORT_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path.basename(file)} is not JSON`);
  }
  const parsed = FidelityReport.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path.basename(file)} is not an rsd-fidelity/1 report: ${formatPath(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The newest report in `dir` (none when the folder is missing or empty). */
export async function latestReport(dir: string): Promise<LatestReport> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const newest = names.filter((n) => REPORT_FILE.test(n)).sort().at(-1);
  if (!newest) return { dir, file: null, report: null, problem: null };
  const file = path.join(dir, newest);
  try {
    return { dir, file, report: overview(await readReport(file)), problem: null };
  } catch (error) {
    return { dir, file, report: null, problem: (error as Error).message };
  }
}
