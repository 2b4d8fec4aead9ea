import { useEffect, useRef, useState } from 'react';
import { useApp } from '../../store/context.js';
import { CAMERA_MODES } from './camera-modes.js';
import { gripTrail, type ReplayEpisode } from './episode.js';
import { darkScheme } from '../charts/theme.js';
import type { ReplayScene } from './scene.js';
import type { SceneView } from './scene-view.js';
import { VideoExport } from './VideoExport.js';
import { probeWebgl } from './webgl.js';

/**
 * The 3D view: a canvas that the three.js SceneView draws on (loaded on demand, so the rest of the
 * app, and jsdom, never load three). Where there is no WebGL it says so, and the timeline and plots
 * still work.
 */
export interface ReplayViewportProps {
  scene: ReplayScene;
  episode: ReplayEpisode;
  /** The "Export video" button in the toolbar (default on; a second, side-by-side view may leave it out). */
  videoExport?: boolean;
}

export function ReplayViewport({ scene, episode, videoExport = true }: ReplayViewportProps) {
  const [support] = useState(() => probeWebgl());
  const available = support.available;
  const [failure, setFailure] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState<SceneView | null>(null);
  const mode = useApp((s) => s.replayCamera);
  const setMode = useApp((s) => s.setReplayCamera);
  const subscribe = useApp((s) => s.subscribeReplayCursor);

  // One SceneView per mounted canvas.
  useEffect(() => {
    if (!available || !canvas.current) return;
    let disposed = false;
    let created: SceneView | null = null;
    const target = canvas.current;
    import('./scene-view.js')
      .then(({ SceneView }) => {
        if (disposed) return;
        created = new SceneView(target, { onCameraMode: setMode, profile: support.software ? 'software' : 'gpu' });
        setView(created);
      })
      .catch((error: unknown) => setFailure(error instanceof Error ? error.message : String(error)));
    return () => {
      disposed = true;
      created?.dispose();
      setView(null);
    };
  }, [available, support.software, setMode]);

  useEffect(() => view?.setScene(scene), [view, scene]);
  useEffect(() => {
    view?.setPoses(episode.poses, episode.bodies, episode.steps + 1);
    view?.setTrail(gripTrail(episode), episode.steps + 1);
  }, [view, episode]);
  // The scene's background and floor follow the app's light or dark theme (the OS's, as styles.css).
  useEffect(() => {
    if (!view) return;
    view.setDark(darkScheme());
    if (typeof window.matchMedia !== 'function') return;
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    const changed = () => view.setDark(scheme.matches);
    scheme.addEventListener('change', changed);
    return () => scheme.removeEventListener('change', changed);
  }, [view]);
  useEffect(() => (view ? subscribe((c) => view.setCursor(c)) : undefined), [view, subscribe]);
  useEffect(() => view?.setCameraMode(mode), [view, mode]);

  return (
    <div className="replay-viewport">
      <div className="replay-camera-modes" role="group" aria-label="Camera">
        {CAMERA_MODES.map((m) => (
          <button key={m.mode} type="button" aria-pressed={mode === m.mode} onClick={() => setMode(m.mode)}>
            {m.label}
          </button>
        ))}
        <button type="button" onClick={() => view?.resetCamera()} disabled={!view || mode === 'agentview'} title="Back to this mode's starting view (or double-click the view)">
          Reset view
        </button>
        {videoExport && <VideoExport episode={episode} scene={scene} view={available && !failure ? view : null} profile={support.software ? 'software' : 'gpu'} />}
      </div>
      {available && !failure ? (
        <div className="replay-canvas-box">
          <canvas ref={canvas} className="replay-canvas" data-testid="replay-canvas" aria-label={`3D view of ${scene.bodies.length} bodies: drag to orbit, shift-drag to pan, wheel to zoom`} />
          {support.software && (
            <span className="replay-software-note" title={support.renderer ?? undefined}>
              Software WebGL (no GPU): lighter shading, lower resolution while moving
            </span>
          )}
        </div>
      ) : (
        <div className="replay-no-webgl" role="note" data-testid="replay-no-webgl">
          <strong>3D view unavailable.</strong> {failure ? `The 3D view could not start: ${failure}` : 'This browser has no WebGL, so the scene cannot be drawn here.'} The timeline, plots and step details below still follow the episode.
        </div>
      )}
    </div>
  );
}
