import { open } from 'node:fs/promises';
import path from 'node:path';
import type { TrajectoryCameras } from '../api/schemas/trajectory.js';
import { CameraFileReader, type Readable } from './camera-file.js';

/**
 * Reading an episode's camera file from a run's folder for replay (`runs.cameras`): a range of
 * rows at a time, within a byte budget, so each reply stays under the wire's 1 MiB message limit.
 */

/** JPEG bytes per reply (base64 adds a third: well under the 1 MiB message limit). */
export const CAMERA_REPLY_BYTES = 512 * 1024;

export interface CameraRows {
  rows: { row: number; images: Uint8Array[] }[];
  /** The first row not sent, or null when the last was. */
  next: number | null;
}

/** Rows from `from` on, as many as fit in `budget` bytes (at least one). */
export async function readCameraRows(trajectoriesDir: string, cameras: TrajectoryCameras, from: number, budget = CAMERA_REPLY_BYTES): Promise<CameraRows> {
  if (from >= cameras.frames) return { rows: [], next: null };
  const handle = await open(path.join(trajectoriesDir, cameras.file), 'r');
  try {
    const readable: Readable = {
      size: async () => BigInt((await handle.stat()).size),
      read: async (offset, size) => {
        const buffer = new Uint8Array(Number(size));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, Number(offset));
        if (bytesRead !== buffer.length) throw new Error(`${cameras.file} ends at byte ${Number(offset) + bytesRead}, ${buffer.length - bytesRead} bytes short`);
        return buffer;
      },
    };
    const reader = await CameraFileReader.open(readable, cameras.views);
    const rows: CameraRows['rows'] = [];
    let bytes = 0;
    let row = from;
    // A batch of rows per read: the file's chunks hold many rows each.
    while (row < cameras.frames) {
      const batch = await reader.rows(row, Math.min(row + 15, cameras.frames - 1));
      for (const r of batch) {
        const size = r.images.reduce((n, i) => n + i.length, 0);
        if (rows.length > 0 && bytes + size > budget) return { rows, next: r.row };
        rows.push(r);
        bytes += size;
      }
      row += batch.length;
    }
    return { rows, next: null };
  } finally {
    await handle.close();
  }
}
