import type { CameraRequest } from '../api/schemas/run-request.js';
import { closest } from '../util/edit-distance.js';
import { UsageError } from './args.js';

/** LIBERO's cameras (engine/sim/cameras.ts), which `--record-cameras` may name. */
const NAMES = ['agentview', 'robot0_eye_in_hand'] as const satisfies readonly CameraRequest['name'][];
export const DEFAULT_RECORD_SIZE = 128;

/**
 * `--record-cameras agentview,robot0_eye_in_hand:256` (or `NAME:WxH`): the cameras to record, each
 * at 128x128 unless a size follows its name; a bad item is a UsageError naming the flag.
 */
export function parseRecordCameras(value: string): CameraRequest[] {
  const out: CameraRequest[] = [];
  for (const item of value.split(',').map((s) => s.trim())) {
    const match = /^([A-Za-z0-9_]+)(?::(\d+)(?:x(\d+))?)?$/.exec(item);
    if (!match) throw new UsageError(`--record-cameras: expected NAME or NAME:SIZE or NAME:WxH (e.g. agentview,robot0_eye_in_hand:256), got "${item}"`);
    const name = match[1]!;
    if (!(NAMES as readonly string[]).includes(name)) {
      const near = closest(name, NAMES);
      throw new UsageError(`--record-cameras: "${name}" is not one of LIBERO's cameras (${NAMES.join(', ')})${near ? `; did you mean ${near}?` : ''}`);
    }
    const width = match[2] === undefined ? DEFAULT_RECORD_SIZE : Number(match[2]);
    const height = match[3] === undefined ? width : Number(match[3]);
    for (const side of [width, height]) if (side < 32 || side > 512) throw new UsageError(`--record-cameras: ${name} at ${width}x${height}: each side is 32 to 512 pixels`);
    if (out.some((c) => c.name === name)) throw new UsageError(`--record-cameras: ${name} is named twice`);
    out.push({ name: name as CameraRequest['name'], width, height });
  }
  return out;
}
