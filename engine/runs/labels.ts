import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RunLabels } from '../api/schemas/runs.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * A run's labels (name, note) in `labels.json` beside its run.json: the user's words about the run,
 * apart from the run's own record (run.json), which its writer rewrites while it runs.
 */
export const LABELS_FILE = 'labels.json';

/** The run folder's labels; none when the file is missing or unreadable (labels never hide a run). */
export async function readLabels(dir: string): Promise<RunLabels> {
  const text = await readFile(path.join(dir, LABELS_FILE), 'utf8').catch(() => null);
  if (text === null) return {};
  try {
    const parsed = RunLabels.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Changes one label ("" removes it) and writes the file atomically; returns the labels now. */
export async function writeLabel(dir: string, field: keyof RunLabels, value: string): Promise<RunLabels> {
  const labels = { ...(await readLabels(dir)) };
  const text = value.trim();
  if (text) labels[field] = text;
  else delete labels[field];
  await writeFileAtomic(path.join(dir, LABELS_FILE), JSON.stringify(RunLabels.parse(labels), null, 2) + '\n');
  return labels;
}
