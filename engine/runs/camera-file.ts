import { McapIndexedReader, McapWriter, TempBuffer } from '@mcap/core';
import type { CameraImage } from '../sim/simulator.js';
import { COMPRESSED_IMAGE_SCHEMA, compressedImageDescriptorSet, decodeCompressedImage, encodeCompressedImage } from './foxglove-image.js';
import { encodeJpeg, jpegSize } from './jpeg.js';

/**
 * An episode's camera images: one MCAP file beside its trajectory (`taskNN-trialTTT.mcap`, named
 * in the trajectory's `cameras`), one channel per camera (`/cameras/<name>`), one
 * `foxglove.CompressedImage` message (JPEG) per recorded row: row t is the view after t policy
 * steps, as the trajectory's poses. Foxglove and Rerun open it as it is. Why MCAP and JPEG, and the
 * sizes measured: docs/architecture.md "Camera images".
 */

export interface CameraView {
  name: string;
  width: number;
  height: number;
}

/** JPEG quality of recorded frames (measured against size and error: docs/architecture.md "Camera images"). */
export const CAMERA_JPEG_QUALITY = 80;
/** 4:2:0 chroma (measured beside 4:4:4: docs/architecture.md "Camera images"). */
export const CAMERA_JPEG_SUBSAMPLE = true;

export const CAMERA_TOPIC_PREFIX = '/cameras/';
/** LIBERO's control rate: row t is t / 20 s after row 0 (message log and publish times). */
export const ROW_NS = 50_000_000n;

/** A recorded file: its bytes and what the trajectory says of it. */
export interface RecordedCameras {
  bytes: Uint8Array;
  views: CameraView[];
  frames: number;
  quality: number;
}

/**
 * Collects an episode's camera frames in the evaluation worker: each row's images are JPEG-encoded
 * as they come (the raw RGB is not kept), and `finish` packs them into the MCAP file.
 */
export class CameraRecorder {
  private readonly rows: Uint8Array[][] = [];

  constructor(
    readonly views: readonly CameraView[],
    readonly quality: number = CAMERA_JPEG_QUALITY,
  ) {}

  /** The images of one row; every view must be there at its size (else the simulator broke the contract). */
  add(images: Readonly<Record<string, CameraImage>>): void {
    this.rows.push(
      this.views.map((v) => {
        const image = images[v.name];
        if (!image) throw new Error(`the observation has no image from camera "${v.name}" (asked for at ${v.width}x${v.height})`);
        if (image.width !== v.width || image.height !== v.height || image.channels !== 3) {
          throw new Error(`camera "${v.name}" gave a ${image.width}x${image.height}x${image.channels} image; asked for ${v.width}x${v.height} RGB`);
        }
        return encodeJpeg(image.data, v.width, v.height, { quality: this.quality, subsample: CAMERA_JPEG_SUBSAMPLE });
      }),
    );
  }

  get frames(): number {
    return this.rows.length;
  }

  async finish(): Promise<RecordedCameras> {
    return { bytes: await writeCameraFile(this.views, this.rows), views: this.views.map((v) => ({ ...v })), frames: this.rows.length, quality: this.quality };
  }
}

/** The MCAP file of `rows` (per row, one JPEG per view, in `views` order). */
export async function writeCameraFile(views: readonly CameraView[], rows: readonly (readonly Uint8Array[])[]): Promise<Uint8Array> {
  const buffer = new TempBuffer();
  // Chunks stay uncompressed (JPEG does not shrink further) and small, so a range of rows reads
  // only its chunks; the indexes let any MCAP reader seek by time.
  const writer = new McapWriter({ writable: buffer, chunkSize: 256 * 1024 });
  await writer.start({ profile: '', library: 'rsd-workbench' });
  const schemaId = await writer.registerSchema({ name: COMPRESSED_IMAGE_SCHEMA, encoding: 'protobuf', data: compressedImageDescriptorSet() });
  const channels: number[] = [];
  for (const v of views) {
    channels.push(await writer.registerChannel({ topic: CAMERA_TOPIC_PREFIX + v.name, schemaId, messageEncoding: 'protobuf', metadata: new Map([['width', String(v.width)], ['height', String(v.height)]]) }));
  }
  for (let t = 0; t < rows.length; t++) {
    const time = BigInt(t) * ROW_NS;
    for (let c = 0; c < views.length; c++) {
      const data = encodeCompressedImage({ timestampNs: time, frameId: views[c]!.name, format: 'jpeg', data: rows[t]![c]! });
      await writer.addMessage({ channelId: channels[c]!, sequence: t, logTime: time, publishTime: time, data });
    }
  }
  await writer.end();
  return buffer.get();
}

/** What an MCAP reader reads from: bytes in memory or a file (engine/runs/camera-store.ts). */
export interface Readable {
  size(): Promise<bigint>;
  read(offset: bigint, size: bigint): Promise<Uint8Array>;
}

/** A camera file's problem: where (`views[1]`, `/cameras/agentview[17]`) and what. */
export class CameraFileError extends Error {
  constructor(
    readonly where: string,
    readonly detail: string,
  ) {
    super(where ? `${where}: ${detail}` : detail);
    this.name = 'CameraFileError';
  }
}

/** Reads rows of a camera file that the trajectory's `cameras` describes. */
export class CameraFileReader {
  private constructor(
    private readonly reader: McapIndexedReader,
    readonly views: readonly CameraView[],
    private readonly topics: Map<number, number>,
  ) {}

  /** Opens the file and checks its schema and channels against the views (CameraFileError names the first mismatch). */
  static async open(readable: Readable, views: readonly CameraView[]): Promise<CameraFileReader> {
    let reader: McapIndexedReader;
    try {
      reader = await McapIndexedReader.Initialize({ readable });
    } catch (error) {
      throw new CameraFileError('', `not a readable MCAP file (${error instanceof Error ? error.message : String(error)})`);
    }
    const topics = new Map<number, number>();
    for (const channel of reader.channelsById.values()) {
      const index = views.findIndex((v) => CAMERA_TOPIC_PREFIX + v.name === channel.topic);
      if (index < 0) throw new CameraFileError(`channel ${channel.topic}`, `is not one of the trajectory's cameras (${views.map((v) => v.name).join(', ')})`);
      const schema = reader.schemasById.get(channel.schemaId);
      if (schema?.name !== COMPRESSED_IMAGE_SCHEMA || schema.encoding !== 'protobuf' || channel.messageEncoding !== 'protobuf') {
        throw new CameraFileError(`channel ${channel.topic}`, `carries ${schema?.name ?? 'no schema'} (${schema?.encoding ?? '-'}/${channel.messageEncoding}); expected ${COMPRESSED_IMAGE_SCHEMA} in protobuf`);
      }
      if (topics.has(index)) throw new CameraFileError(`channel ${channel.topic}`, 'appears twice');
      topics.set(channel.id, index);
    }
    const missing = views.find((_, i) => ![...topics.values()].includes(i));
    if (missing) throw new CameraFileError(`views[${views.indexOf(missing)}]`, `camera "${missing.name}" has no channel ${CAMERA_TOPIC_PREFIX}${missing.name} in the file`);
    return new CameraFileReader(reader, views, topics);
  }

  /**
   * Rows `from` to `to` (inclusive): per row, one JPEG per view in `views` order. With `check`,
   * each image is also checked (format, frame id, time, JPEG size); a row missing a view is an error.
   */
  async rows(from: number, to: number, check = false): Promise<{ row: number; images: Uint8Array[] }[]> {
    const out = new Map<number, (Uint8Array | undefined)[]>();
    for await (const m of this.reader.readMessages({ startTime: BigInt(from) * ROW_NS, endTime: BigInt(to) * ROW_NS, validateCrcs: check })) {
      const c = this.topics.get(m.channelId)!;
      const view = this.views[c]!;
      const where = `${CAMERA_TOPIC_PREFIX}${view.name}[${m.sequence}]`;
      if (m.logTime % ROW_NS !== 0n || m.logTime / ROW_NS !== BigInt(m.sequence)) throw new CameraFileError(where, `logged at ${m.logTime} ns; row ${m.sequence} is at ${BigInt(m.sequence) * ROW_NS} ns`);
      let image;
      try {
        image = decodeCompressedImage(m.data);
      } catch (error) {
        throw new CameraFileError(where, `not a CompressedImage message (${(error as Error).message})`);
      }
      if (check) checkImage(image, view, BigInt(m.sequence) * ROW_NS, where);
      const row = out.get(m.sequence) ?? new Array<Uint8Array | undefined>(this.views.length);
      if (row[c]) throw new CameraFileError(where, 'appears twice');
      row[c] = image.data;
      out.set(m.sequence, row);
    }
    const result: { row: number; images: Uint8Array[] }[] = [];
    for (let r = from; r <= to; r++) {
      const row = out.get(r);
      const gap = this.views.findIndex((_, c) => !row?.[c]);
      if (gap >= 0) throw new CameraFileError(`${CAMERA_TOPIC_PREFIX}${this.views[gap]!.name}[${r}]`, `row ${r} has no image`);
      result.push({ row: r, images: row as Uint8Array[] });
    }
    return result;
  }

  /** Messages in the file beyond `frames` rows per view (a file longer than its trajectory says). */
  get messageCount(): bigint | null {
    return this.reader.statistics?.messageCount ?? null;
  }
}

function checkImage(image: ReturnType<typeof decodeCompressedImage>, view: CameraView, time: bigint, where: string): void {
  if (image.format !== 'jpeg') throw new CameraFileError(where, `format "${image.format}"; expected "jpeg"`);
  if (image.frameId !== view.name) throw new CameraFileError(where, `frame_id "${image.frameId}"; expected "${view.name}"`);
  if (image.timestampNs !== time) throw new CameraFileError(where, `timestamp ${image.timestampNs} ns; expected ${time} ns`);
  let size;
  try {
    size = jpegSize(image.data);
  } catch (error) {
    throw new CameraFileError(where, (error as Error).message);
  }
  if (size.width !== view.width || size.height !== view.height) throw new CameraFileError(where, `a ${size.width}x${size.height} JPEG; the camera records ${view.width}x${view.height}`);
}

/** Bytes as an MCAP readable. */
export function bytesReadable(bytes: Uint8Array): Readable {
  return {
    size: async () => BigInt(bytes.length),
    read: async (offset, size) => {
      if (offset + size > BigInt(bytes.length)) throw new Error(`read past the end (${offset + size} > ${bytes.length} bytes)`);
      return bytes.subarray(Number(offset), Number(offset + size));
    },
  };
}

/**
 * Checks a whole camera file against what its trajectory says (views, rows, byte size), image by
 * image: a CameraFileError names the first problem.
 */
export async function checkCameraFile(bytes: Uint8Array, expected: { views: readonly CameraView[]; frames: number; bytes: number }): Promise<void> {
  if (bytes.length !== expected.bytes) throw new CameraFileError('', `${bytes.length} bytes; the trajectory says ${expected.bytes}`);
  const reader = await CameraFileReader.open(bytesReadable(bytes), expected.views);
  const count = reader.messageCount;
  const wanted = BigInt(expected.frames * expected.views.length);
  if (count !== null && count !== wanted) throw new CameraFileError('', `${count} images; the trajectory says ${expected.frames} rows of ${expected.views.length} cameras (${wanted})`);
  if (expected.frames > 0) await reader.rows(0, expected.frames - 1, true);
}
