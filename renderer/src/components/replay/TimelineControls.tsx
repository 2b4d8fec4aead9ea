import { useEffect, useMemo, useRef } from 'react';
import { useApp } from '../../store/context.js';
import type { TrajectoryChunk } from '../../../../engine/api/schemas/trajectory.js';
import { secondsAt, SPEEDS, speedLabel, stepAt, isSpeed, timelineMarks } from './timeline.js';

/** Runs the playback clock while playing: one `advanceReplay` per animation frame. */
export function usePlaybackClock(): void {
  const playing = useApp((s) => s.replayPlaying);
  const advance = useApp((s) => s.advanceReplay);
  useEffect(() => {
    if (!playing) return;
    let last: number | null = null;
    let frame = requestAnimationFrame(function tick(now) {
      if (last !== null) advance(Math.min(now - last, 250)); // a hidden tab does not jump ahead
      last = now;
      frame = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, advance]);
}

/**
 * Play/pause, single steps, the scrubber, speed and loop. The scrubber follows the cursor through a
 * store subscription (it moves every frame while playing); the step readout re-renders per whole step.
 */
export function TimelineControls({ steps, chunks = [] }: { steps: number; chunks?: readonly TrajectoryChunk[] }) {
  const marks = useMemo(() => timelineMarks(steps, chunks.map((c) => c.step)), [steps, chunks]);
  const playing = useApp((s) => s.replayPlaying);
  const speed = useApp((s) => s.replaySpeed);
  const loop = useApp((s) => s.replayLoop);
  const step = useApp((s) => stepAt(s.replayCursor, steps));
  const seek = useApp((s) => s.seekReplay);
  const stepBy = useApp((s) => s.stepReplay);
  const toggle = useApp((s) => s.toggleReplayPlaying);
  const setPlaying = useApp((s) => s.setReplayPlaying);
  const setSpeed = useApp((s) => s.setReplaySpeed);
  const setLoop = useApp((s) => s.setReplayLoop);
  const subscribe = useApp((s) => s.subscribeReplayCursor);
  const slider = useRef<HTMLInputElement>(null);

  useEffect(
    () =>
      subscribe((c) => {
        if (slider.current && slider.current.valueAsNumber !== c) slider.current.value = String(c);
      }),
    [subscribe, steps],
  );

  return (
    <div className="replay-timeline" role="group" aria-label="Timeline">
      <button type="button" onClick={() => stepBy(-1)} disabled={step <= 0} aria-label="Step back" title="Step back (←)">
        ‹ Step
      </button>
      <button type="button" className="primary replay-play" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} title="Play or pause (space)">
        {playing ? 'Pause' : 'Play'}
      </button>
      <button type="button" onClick={() => stepBy(1)} disabled={step >= steps} aria-label="Step forward" title="Step forward (→)">
        Step ›
      </button>
      <div className="replay-track">
        <input
          ref={slider}
          className="replay-scrubber"
          type="range"
          min={0}
          max={steps}
          step="any"
          defaultValue={0}
          aria-label="Timeline"
          aria-valuetext={`step ${step} of ${steps}`}
          onPointerDown={() => setPlaying(false)}
          onChange={(e) => seek(e.currentTarget.valueAsNumber)}
        />
        {/* Step ticks and chunk starts (numbered) under the scrubber. */}
        <div className="replay-marks" data-testid="replay-marks" aria-hidden="true">
          {marks.chunks.map((m) => (
            <span key={`c${m.step}`} className={m.labelled ? 'replay-chunk-mark labelled' : 'replay-chunk-mark'} style={{ left: `${m.at * 100}%` }} title={`chunk ${m.label} starts at step ${m.step}`}>
              {m.labelled && <span className="replay-mark-label">{m.label}</span>}
            </span>
          ))}
          {marks.ticks.map((m) => (
            <span key={`t${m.step}`} className="replay-step-tick" style={{ left: `${m.at * 100}%` }}>
              <span className="replay-mark-label">{m.label}</span>
            </span>
          ))}
        </div>
      </div>
      <span className="replay-readout" data-testid="replay-step">
        step {step} / {steps} · {secondsAt(step).toFixed(2)} s
      </span>
      <label className="replay-speed">
        Speed{' '}
        <select
          value={String(speed)}
          onChange={(e) => {
            const value = Number(e.currentTarget.value);
            if (isSpeed(value)) setSpeed(value);
          }}
        >
          {SPEEDS.map((s) => (
            <option key={s} value={String(s)}>
              {speedLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <label className="replay-loop">
        <input type="checkbox" checked={loop} onChange={(e) => setLoop(e.currentTarget.checked)} /> Loop
      </label>
    </div>
  );
}
