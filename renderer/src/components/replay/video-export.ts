import { CONTROL_HZ } from './timeline.js';

/**
 * An episode as a WebM video, made in the page: each step's pictures (the 3D view, the camera
 * views) drawn side by side on a canvas, named, under a title line with the step; the canvas
 * captured frame by frame (`captureStream(0)` + `requestFrame`) and encoded by the browser's
 * MediaRecorder. MediaRecorder stamps frames with the wall clock, so the frames are paced at
 * LIBERO's control rate (20 steps a second) and recording takes as long as the episode lasts.
 * (WebCodecs would encode faster than real time but needs a WebM muxer: a dependency for a file
 * that a few seconds of waiting also gives.)
 */

/** One picture in the video's row: the 3D view or a camera. */
export interface VideoTile {
  /** Said under the picture. */
  caption: string;
  /** Its size in the video (pictures of another size are scaled to it). */
  width: number;
  height: number;
  /**
   * The picture after `row` steps. It is drawn into the video right after this returns (or
   * resolves), so a WebGL canvas may be rendered here.
   */
  frame(row: number): CanvasImageSource | Promise<CanvasImageSource>;
}

export interface VideoRequest {
  tiles: readonly VideoTile[];
  /** Recorded rows (steps + 1): one video frame each. */
  rows: number;
  /** Said in the picture's top line (task, trial, instruction). */
  title: string;
  onProgress?(row: number, rows: number): void;
  signal?: AbortSignal;
}

/** Every tile is this tall in the video. */
export const TILE_HEIGHT = 288;
/** The 3D view's size in the video (16:9, as the page's view at 1440x900 roughly is). */
export const SCENE_TILE = { width: 512, height: TILE_HEIGHT } as const;
const PAD = 8;
const TOP = 28;
const CAPTION = 24;

/** The video's frame size for tiles of these widths (even: encoders want even sizes). */
export function videoSize(widths: readonly number[]): { width: number; height: number } {
  const even = (n: number) => n + (n % 2);
  return { width: even(PAD + widths.reduce((n, w) => n + w + PAD, 0)), height: even(TOP + TILE_HEIGHT + CAPTION) };
}

/** The width a camera picture of this size gets at the tiles' height. */
export const tileWidth = (width: number, height: number): number => Math.round((width * TILE_HEIGHT) / height);

/** The file a video of this episode is saved as. */
export const videoFileName = (e: { runId: string; taskId: number; trial: number }): string =>
  `${e.runId}-task${String(e.taskId).padStart(2, '0')}-trial${String(e.trial).padStart(3, '0')}.webm`;

/** What the video holds, said on the button: "3D view + 2 cameras", "3D view", "2 cameras". */
export function videoContents(scene: boolean, cameras: number): string {
  const parts = [scene ? '3D view' : '', cameras > 0 ? `${cameras} camera${cameras === 1 ? '' : 's'}` : ''].filter(Boolean);
  return parts.join(' + ');
}

/** The first WebM type this browser's MediaRecorder can write, or null. */
export function webmType(): string | null {
  if (typeof MediaRecorder === 'undefined') return null;
  return ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

export async function recordVideo(request: VideoRequest): Promise<Blob> {
  const type = webmType();
  if (!type) throw new Error('this browser cannot record WebM video (no MediaRecorder for video/webm)');
  const { tiles, rows } = request;
  if (tiles.length === 0) throw new Error('nothing to record: no 3D view and no camera images');
  if (rows < 1) throw new Error(`nothing to record: rows must be at least 1, got ${rows}`);
  const canvas = document.createElement('canvas');
  const size = videoSize(tiles.map((t) => t.width));
  canvas.width = size.width;
  canvas.height = size.height;
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
    for (let r = 0; r < rows; r++) {
      if (request.signal?.aborted) throw new Error('video export cancelled');
      await drawRow(ctx, canvas, tiles, r, rows - 1, request.title);
      track.requestFrame();
      request.onProgress?.(r, rows);
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

async function drawRow(ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement, tiles: readonly VideoTile[], row: number, last: number, title: string): Promise<void> {
  ctx.fillStyle = '#1d232b';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#e8ecf1';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(fitText(ctx, title, canvas.width - 2 * PAD - 160), PAD, TOP / 2);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${row} / ${last} · ${(row / CONTROL_HZ).toFixed(2)} s`, canvas.width - PAD, TOP / 2);
  ctx.textAlign = 'left';
  ctx.imageSmoothingQuality = 'high';
  let x = PAD;
  for (const tile of tiles) {
    // Each picture is drawn as soon as it is there: a WebGL canvas right after it rendered.
    ctx.drawImage(await tile.frame(row), x, TOP, tile.width, tile.height);
    ctx.fillStyle = '#aeb8c4';
    ctx.fillText(tile.caption, x, TOP + TILE_HEIGHT + CAPTION / 2, tile.width);
    x += tile.width + PAD;
  }
}

/** The text, cut short with an ellipsis where it is wider than `width` (fillText's own limit squeezes the letters instead). */
function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let n = text.length;
  while (n > 1 && ctx.measureText(`${text.slice(0, n)}…`).width > width) n--;
  return `${text.slice(0, n).trimEnd()}…`;
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
