import { useEffect, useRef, useState } from 'react';
import { useApp } from '../../store/context.js';
import { darkScheme } from '../charts/theme.js';
import { bitmapOf, cameraTitle, canDecodeFrames, rowAt } from './camera-frames.js';
import { CAMERA_MODES } from './camera-modes.js';
import { gripTrail, type ReplayEpisode } from './episode.js';
import type { ReplayScene } from './scene.js';
import type { RenderProfile, SceneView } from './scene-view.js';
import { download, recordVideo, SCENE_TILE, TILE_HEIGHT, tileWidth, videoContents, videoFileName, webmType, type VideoTile } from './video-export.js';

/**
 * "Export video": records the episode as a WebM file in real time (20 steps a second): the 3D view
 * (drawn offscreen at a fixed size by a second SceneView with the viewport's camera mode and
 * orbit) beside the camera views when the episode has images. `view` is the viewport's SceneView
 * (null without WebGL: then the cameras alone, if any).
 */
export function VideoExport({ episode, scene, view, profile }: { episode: ReplayEpisode; scene: ReplayScene; view: SceneView | null; profile: RenderProfile }) {
  const cameras = useApp((s) => s.replayCameras);
  const [progress, setProgress] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const key = `${episode.runId}/${episode.taskId}/${episode.trial}`;
  const ours = cameras.status !== 'none' && cameras.key === key ? cameras : null;
  const views = episode.cameras?.views ?? [];
  // Cameras go in once all their images are here; images that failed to load leave the 3D view alone.
  const cameraRows = ours?.status === 'ready' && canDecodeFrames() ? ours.rows : null;
  const waiting = views.length > 0 && (!ours || ours.status === 'loading');
  const contents = videoContents(view !== null, cameraRows || waiting ? views.length : 0);

  if (!webmType()) return <span className="muted" title="MediaRecorder cannot write WebM here">No video export in this browser</span>;

  const start = async () => {
    const controller = new AbortController();
    abort.current = controller;
    setFailure(null);
    setProgress('Preparing…');
    let offscreen: SceneView | null = null;
    try {
      const tiles: VideoTile[] = [];
      if (view) {
        const { SceneView } = await import('./scene-view.js');
        const canvas = document.createElement('canvas');
        offscreen = new SceneView(canvas, { profile, size: SCENE_TILE });
        offscreen.setScene(scene);
        offscreen.setPoses(episode.poses, episode.bodies, episode.steps + 1);
        offscreen.setTrail(gripTrail(episode), episode.steps + 1);
        offscreen.setDark(darkScheme());
        const camera = view.cameraState();
        offscreen.setCameraState(camera);
        const drawn = offscreen;
        const mode = CAMERA_MODES.find((m) => m.mode === camera.mode)?.label ?? camera.mode;
        tiles.push({ caption: `3D view · ${mode.toLowerCase()}`, ...SCENE_TILE, frame: (row) => drawn.drawAt(row) });
      }
      if (cameraRows) {
        views.forEach((v, i) => {
          tiles.push({
            caption: cameraTitle(v.name),
            width: tileWidth(v.width, v.height),
            height: TILE_HEIGHT,
            frame: (row) => bitmapOf(cameraRows[Math.max(0, rowAt(cameraRows, row))]![i]!),
          });
        });
      }
      const blob = await recordVideo({
        tiles,
        rows: episode.steps + 1,
        title: `Task ${episode.taskId} trial ${episode.trial}: “${episode.instruction}”`,
        signal: controller.signal,
        onProgress: (row, rows) => setProgress(`Recording ${Math.round((100 * (row + 1)) / rows)}%`),
      });
      download(blob, videoFileName(episode));
    } catch (error) {
      if (!controller.signal.aborted) setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      offscreen?.dispose();
      setProgress(null);
      abort.current = null;
    }
  };

  const seconds = Math.ceil((episode.steps + 1) / 20);
  const reason = waiting ? 'Waiting for the camera images to load' : contents === '' ? 'Nothing to record: no 3D view (no WebGL) and no camera images' : null;
  return (
    <span className="replay-video-export">
      {progress ? (
        <>
          <span className="muted" role="status" data-testid="replay-video-progress">
            {progress}
          </span>
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        </>
      ) : (
        <button
          type="button"
          onClick={() => void start()}
          disabled={reason !== null}
          title={reason ?? `Record the ${contents} as a WebM video, in real time (20 steps a second: about ${seconds} s for this episode)`}
        >
          Export video
          {/* What the video holds, on a second, smaller line: the toolbar keeps to one row beside the cameras. */}
          {contents && <span className="replay-video-contents"> ({contents})</span>}
        </button>
      )}
      {failure && (
        <span className="replay-error" role="alert">
          {failure}
        </span>
      )}
    </span>
  );
}
