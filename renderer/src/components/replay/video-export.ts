import type { TrajectoryCameraView } from '../../../../engine/api/schemas/trajectory.js';
import { bitmapOf, cameraTitle } from './camera-frames.js';
import { CONTROL_HZ } from './timeline.js';

/**
 * An episode's camera views as a WebM video, made in the page: each row drawn on a canvas (the
 * views side by side, named, with the step), the canvas captured frame by frame and encoded by the
 * browser's MediaRecorder. It plays in real time (20 steps a second, LIBERO's control rate), so
 * recording takes as long as the episode lasts.
 */

export interface VideoRequest {
  views: readonly TrajectoryCameraView[];
  /** rows[r][v]: JPEG of view v after r steps. */
  rows: readonly (readonly Blob[])[];
  /** Said in the picture's top line (task, trial, instruction). */
  title: string;
  onProgress?(row: number, rows: number): void;
  signal?: AbortSignal;
}

/** Each view drawn this tall in the video, at least (small renders are scaled up). */
const VIEW_SIZE = 256;
const PAD = 8;
const TOP = 28;
const CAPTION = 24;

/** The first WebM type this browser's MediaRecorder can write, or null. */
export function webmType(): string | null {
  if (typeof MediaRecorder === 'undefined') return null;
  return ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

export async function recordCameraVideo(request: VideoRequest): Promise<Blob> {
  const type = webmType();
  if (!type) throw new Error('this browser cannot record WebM video (no MediaRecorder for video/webm)');
  const { views, rows } = request;
  const scale = (v: TrajectoryCameraView) => VIEW_SIZE / v.height;
  const width = PAD + views.reduce((n, v) => n + Math.round(v.width * scale(v)) + PAD, 0);
  const height = TOP + VIEW_SIZE + CAPTION;
  const canvas = document.createElement('canvas');
  canvas.width = width + (width % 2); // encoders want even sizes
  canvas.height = height + (height % 2);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas to draw the video on');
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0] as CanvasCaptureMediaStreamTrack | undefined;
  if (!track) throw new Error('the canvas gave no video track to record');
  const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_500_000 });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  const stopped = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
  const frameMs = 1000 / CONTROL_HZ;

  recorder.start();
  try {
    const started = performance.now();
    for (let r = 0; r < rows.length; r++) {
      if (request.signal?.aborted) throw new Error('video export cancelled');
      const pictures = await Promise.all(rows[r]!.map(bitmapOf));
      draw(ctx, canvas, views, pictures, r, rows.length - 1, request.title, scale);
      track.requestFrame();
      request.onProgress?.(r, rows.length);
      // Frames are stamped by the wall clock: pace them at the control rate.
      const due = started + (r + 1) * frameMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  } finally {
    recorder.stop();
    track.stop();
    await stopped;
  }
  if (request.signal?.aborted) throw new Error('video export cancelled');
  return new Blob(chunks, { type: 'video/webm' });
}

function draw(
  ctx: CanvasRenderingContext2D,
  canvas: HTMLCanvasElement,
  views: readonly TrajectoryCameraView[],
  pictures: readonly ImageBitmap[],
  row: number,
  last: number,
  title: string,
  scale: (v: TrajectoryCameraView) => number,
): void {
  ctx.fillStyle = '#1d232b';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#e8ecf1';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(title, PAD, TOP / 2, canvas.width - 2 * PAD - 140);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${row} / ${last} · ${(row / CONTROL_HZ).toFixed(2)} s`, canvas.width - PAD, TOP / 2);
  ctx.textAlign = 'left';
  ctx.imageSmoothingQuality = 'high';
  let x = PAD;
  views.forEach((v, i) => {
    const w = Math.round(v.width * scale(v));
    ctx.drawImage(pictures[i]!, x, TOP, w, VIEW_SIZE);
    ctx.fillStyle = '#aeb8c4';
    ctx.fillText(cameraTitle(v.name), x, TOP + VIEW_SIZE + CAPTION / 2);
    x += w + PAD;
  });
}

/** Saves a Blob as a file through the browser's download. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
