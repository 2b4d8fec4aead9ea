import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { Trajectory, TRAJECTORY_FORMAT } from '../../../engine/api/schemas/trajectory.js';
import { bytesReadable, CameraFileError, CameraFileReader, CameraRecorder, checkCameraFile, writeCameraFile } from '../../../engine/runs/camera-file.js';
import { compressedImageDescriptorSet, decodeCompressedImage, encodeCompressedImage } from '../../../engine/runs/foxglove-image.js';
import { encodeJpeg, jpegSize } from '../../../engine/runs/jpeg.js';
import type { CameraImage } from '../../../engine/sim/simulator.js';

// The camera file's parts on synthetic pictures (sizes on real LIBERO frames: camera-real.test.ts).

/** A smooth picture with a few sharp-edged shapes, different per `seed`. */
function picture(width: number, height: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inBox = Math.abs(x - width / 2 - seed) < width / 6 && Math.abs(y - height / 3) < height / 8;
      rgb[i] = inBox ? 200 : (x * 255) / width;
      rgb[i + 1] = inBox ? 40 : (y * 255) / height;
      rgb[i + 2] = inBox ? 30 : 128 + 60 * Math.sin((x + y + seed) / 9);
    }
  }
  return rgb;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

const decode = (bytes: Uint8Array) => jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });

describe('the JPEG encoder', () => {
  for (const subsample of [true, false]) {
    for (const [w, h] of [
      [128, 128],
      [37, 21],
    ] as const) {
      it(`${w}x${h} ${subsample ? '4:2:0' : '4:4:4'}: an independent decoder (jpeg-js) reads it back close to the original`, () => {
        const rgb = picture(w, h, 3);
        const bytes = encodeJpeg(rgb, w, h, { quality: 90, subsample });
        expect(jpegSize(bytes)).toEqual({ width: w, height: h });
        const back = decode(bytes);
        expect([back.width, back.height]).toEqual([w, h]);
        expect(psnr(back.data, rgb)).toBeGreaterThan(subsample ? 28 : 32);
      });
    }
  }

  it('is deterministic, and smaller at lower quality', () => {
    const rgb = picture(128, 128, 1);
    expect(encodeJpeg(rgb, 128, 128, { quality: 80, subsample: true })).toEqual(encodeJpeg(rgb, 128, 128, { quality: 80, subsample: true }));
    expect(encodeJpeg(rgb, 128, 128, { quality: 50, subsample: true }).length).toBeLessThan(encodeJpeg(rgb, 128, 128, { quality: 95, subsample: true }).length);
  });

  it('refuses an image whose bytes do not match its size, naming both', () => {
    expect(() => encodeJpeg(new Uint8Array(10), 4, 4, { quality: 80, subsample: true })).toThrow('an RGB image of 4x4 has 48 bytes, got 10');
    expect(() => jpegSize(Uint8Array.from([1, 2, 3, 4]))).toThrow('not a JPEG (no start-of-image marker)');
  });
});

describe('foxglove.CompressedImage in protobuf', () => {
  it('round-trips a message, timestamps past one second included', () => {
    const data = Uint8Array.from([0xff, 0xd8, 1, 2, 3]);
    const message = { timestampNs: 12_345_000_000n + 50_000_000n, frameId: 'agentview', format: 'jpeg', data };
    expect(decodeCompressedImage(encodeCompressedImage(message))).toEqual(message);
  });

  it('describes its schema as a FileDescriptorSet of CompressedImage.proto and timestamp.proto', () => {
    const text = new TextDecoder('latin1').decode(compressedImageDescriptorSet());
    for (const s of ['google/protobuf/timestamp.proto', 'foxglove/CompressedImage.proto', 'CompressedImage', '.google.protobuf.Timestamp', 'frame_id', 'proto3']) expect(text).toContain(s);
  });

  it('names a malformed message', () => {
    expect(() => decodeCompressedImage(Uint8Array.from([0x12, 0x40, 1]))).toThrow('field 2 claims 64 bytes, 1 are left');
  });
});

const VIEWS = [
  { name: 'agentview', width: 32, height: 24 },
  { name: 'robot0_eye_in_hand', width: 16, height: 16 },
];

function images(seed: number, override: Partial<Record<string, CameraImage>> = {}): Record<string, CameraImage> {
  const out: Record<string, CameraImage> = {};
  for (const v of VIEWS) out[v.name] = { width: v.width, height: v.height, channels: 3, data: picture(v.width, v.height, seed) };
  return { ...out, ...override } as Record<string, CameraImage>;
}

async function recorded(rows = 5) {
  const recorder = new CameraRecorder(VIEWS, 80);
  for (let t = 0; t < rows; t++) recorder.add(images(t));
  return recorder.finish();
}

describe('the camera file (MCAP)', () => {
  it('round-trips: each row of each camera reads back as the JPEG recorded, and the whole file checks', async () => {
    const file = await recorded(5);
    expect(file).toMatchObject({ frames: 5, quality: 80, views: VIEWS });
    const reader = await CameraFileReader.open(bytesReadable(file.bytes), VIEWS);
    const rows = await reader.rows(1, 3, true);
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3]);
    for (const r of rows) {
      VIEWS.forEach((v, c) => {
        expect(r.images[c]).toEqual(encodeJpeg(picture(v.width, v.height, r.row), v.width, v.height, { quality: 80, subsample: true }));
        expect(jpegSize(r.images[c]!)).toEqual({ width: v.width, height: v.height });
      });
    }
    await expect(checkCameraFile(file.bytes, { views: VIEWS, frames: 5, bytes: file.bytes.length })).resolves.toBeUndefined();
  });

  it('refuses a frame without one of its cameras, or at another size, naming the camera', () => {
    const recorder = new CameraRecorder(VIEWS, 80);
    const { robot0_eye_in_hand: _wrist, ...agentOnly } = images(0);
    expect(() => recorder.add(agentOnly)).toThrow('the observation has no image from camera "robot0_eye_in_hand" (asked for at 16x16)');
    expect(() => recorder.add(images(0, { agentview: { width: 16, height: 16, channels: 3, data: new Uint8Array(768) } }))).toThrow('camera "agentview" gave a 16x16x3 image; asked for 32x24 RGB');
  });

  it('names what is wrong with a file that does not match its trajectory', async () => {
    const file = await recorded(3);
    const check = (bytes: Uint8Array, expected: Partial<{ views: typeof VIEWS; frames: number; bytes: number }> = {}) =>
      checkCameraFile(bytes, { views: VIEWS, frames: 3, bytes: bytes.length, ...expected }).then(
        () => 'accepted',
        (e: unknown) => (e instanceof CameraFileError ? e.message : `not a CameraFileError: ${String(e)}`),
      );
    expect(await check(file.bytes, { bytes: 10 })).toBe(`${file.bytes.length} bytes; the trajectory says 10`);
    expect(await check(file.bytes.subarray(0, file.bytes.length - 40))).toMatch(/^not a readable MCAP file \(/);
    expect(await check(file.bytes, { frames: 4 })).toBe('6 images; the trajectory says 4 rows of 2 cameras (8)');
    expect(await check(file.bytes, { views: [VIEWS[0]!, { name: 'wrist', width: 16, height: 16 }] })).toBe('channel /cameras/robot0_eye_in_hand: is not one of the trajectory\'s cameras (agentview, wrist)');
    expect(await check(file.bytes, { views: [{ ...VIEWS[0]!, width: 64 }, VIEWS[1]!] })).toBe('/cameras/agentview[0]: a 32x24 JPEG; the camera records 64x24');
    // A file written from rows directly checks too; a row past its end is named.
    const written = await writeCameraFile(VIEWS, [0, 1, 2].map((t) => VIEWS.map((v) => encodeJpeg(picture(v.width, v.height, t), v.width, v.height, { quality: 80, subsample: true }))));
    expect(await check(written)).toBe('accepted');
    const reader = await CameraFileReader.open(bytesReadable(written), VIEWS);
    await expect(reader.rows(0, 3)).rejects.toThrow('/cameras/agentview[3]: row 3 has no image');
  });

  it('is referenced from the trajectory, with as many rows as the trajectory', () => {
    const base = {
      format: TRAJECTORY_FORMAT, taskId: 0, trial: 1, initIndex: 1, instruction: 'x', scene: 'scene-task00.json', outcome: 'failure', error: null,
      steps: 2, maxSteps: 2, bodies: 0, initialPoses: '', moving: [], poses: '', proprio: '', actions: '', chunks: [],
    };
    const cameras = { file: 'task00-trial001.mcap', encoding: 'jpeg', quality: 80, views: VIEWS, frames: 3, bytes: 1000 };
    expect(Trajectory.safeParse({ ...base, cameras }).success).toBe(true);
    const issue = (t: unknown) => {
      const r = Trajectory.safeParse(t);
      return r.success ? 'accepted' : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
    };
    expect(issue({ ...base, cameras: { ...cameras, frames: 2 } })).toBe('cameras.frames: 2 frames; a trajectory of 2 steps has 3 rows');
    expect(issue({ ...base, cameras: { ...cameras, views: [VIEWS[0], VIEWS[0]] } })).toBe('cameras.views.1.name: camera "agentview" is listed twice');
    expect(issue({ ...base, cameras: { ...cameras, file: '../x.mcap' } })).toBe("cameras.file: the episode's own taskNN-trialTTT.mcap");
  });
});
