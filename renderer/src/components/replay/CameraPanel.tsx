import { useEffect, useRef } from 'react';
import type { TrajectoryCameraView } from '../../../../engine/api/schemas/trajectory.js';
import { useApp } from '../../store/context.js';
import { bitmapOf, cameraTitle, canDecodeFrames, rowAt } from './camera-frames.js';
import type { ReplayEpisode } from './episode.js';
import { stepAt } from './timeline.js';

/**
 * What the cameras saw, beside the 3D view: one picture per recorded camera at the cursor's whole
 * step, named, following the timeline through the cursor subscription (no React render per frame).
 * (The video export, which holds these views beside the 3D view, is in the 3D view's toolbar.)
 */
export function CameraPanel({ episode }: { episode: ReplayEpisode }) {
  const cameras = useApp((s) => s.replayCameras);
  const views = episode.cameras?.views ?? [];
  const loaded = cameras.status === 'loading' || cameras.status === 'ready' ? cameras.rows.filter(Boolean).length : 0;
  const frames = episode.cameras?.frames ?? 0;

  return (
    <section className="replay-cameras" aria-label="Cameras" data-testid="replay-cameras">
      <div className="replay-cameras-head">
        <h3>Cameras</h3>
      </div>
      {views.map((v, i) => (
        <CameraView key={v.name} view={v} index={i} steps={episode.steps} />
      ))}
      {cameras.status === 'loading' && (
        <p className="muted replay-cameras-note" role="status">
          Loading images… {loaded} / {frames}
        </p>
      )}
      {cameras.status === 'failed' && (
        <p className="replay-error replay-cameras-note" role="alert">
          Camera images could not be loaded: {cameras.message}
        </p>
      )}
      {!canDecodeFrames() && <p className="muted replay-cameras-note">This browser cannot decode the images.</p>}
    </section>
  );
}

/** One camera's picture at the cursor's step; `data-row` says which recorded row it shows. */
function CameraView({ view, index, steps }: { view: TrajectoryCameraView; index: number; steps: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const subscribe = useApp((s) => s.subscribeReplayCursor);
  const rows = useApp((s) => (s.replayCameras.status === 'loading' || s.replayCameras.status === 'ready' ? s.replayCameras.rows : null));

  useEffect(() => {
    const target = canvas.current;
    const ctx = target?.getContext('2d');
    if (!target || !ctx || !rows || !canDecodeFrames()) return;
    let wanted = -1;
    let cancelled = false;
    const show = (row: number) => {
      wanted = row;
      const blob = rows[row]?.[index];
      if (!blob || target.dataset.row === String(row)) return;
      void bitmapOf(blob).then((bitmap) => {
        // A later step may have been asked for while this one decoded: draw only the latest.
        if (cancelled || wanted !== row) return;
        ctx.drawImage(bitmap, 0, 0, target.width, target.height);
        target.dataset.row = String(row);
      });
    };
    const unsubscribe = subscribe((cursor) => show(rowAt(rows, stepAt(cursor, steps))));
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [subscribe, rows, index, steps]);

  return (
    <figure className="replay-camera" title={`${cameraTitle(view.name)}, ${view.width}×${view.height}`}>
      <canvas ref={canvas} width={view.width} height={view.height} data-testid={`replay-camera-${view.name}`} aria-label={`${view.name} camera image at the current step`} />
      {/* The name over the picture's corner, as robotics viewers label a topic: the column stays as tall as the 3D view. */}
      <figcaption>
        {view.name} <span className="replay-camera-size">{view.width}×{view.height}</span>
      </figcaption>
    </figure>
  );
}
