import { useEffect, type FormEvent } from 'react';
import { useFolderChooser } from '../../dialogs.js';
import { useApp } from '../../store/context.js';
import {
  ACCEPT_RULES,
  bridgeReadiness,
  DECODINGS,
  EXECUTION_PROVIDERS,
  liberoInterpreter,
  MAX_SEED,
  MAX_TRIALS,
  POLICY_CHOICES,
  SIMULATORS,
  usesAcceptRule,
  usesThreshold,
  usesLayers,
  type AcceptRule,
  type Decoding,
  type ExecutionProvider,
  type PolicyChoice,
  type SimulatorKind,
} from '../../store/run.js';
import { Field } from './Field.js';
import { ServerFields } from './ServerFields.js';
import { TaskPicker } from './TaskPicker.js';

const DECODING_HINT: Record<Decoding, string> = {
  parallel: 'The main model predicts every code layer in one pass (OpenVLA-OFT heads).',
  autoregressive: 'The main model alone, layer by layer: the baseline speculative decoding is measured against.',
  speculative: 'The draft proposes the coarse layers, the main model verifies them in one pass and decodes the rest.',
};

const ACCEPT_HINT: Record<AcceptRule, string> = {
  exact: 'Accept a draft code when it equals the main model’s argmax: lossless against greedy main decoding.',
  threshold: 'Accept a layer when at least this share of its codes equal the main model’s argmax, keeping the draft’s codes: lossy, its deviation is reported.',
  stochastic: 'Accept with probability min(1, p/q), resample the rest: lossless in distribution.',
};

const ORIGIN: Record<'settings' | 'env' | 'default', string> = {
  settings: 'from the settings',
  env: 'from RSD_LIBERO_PYTHON',
  default: 'the default: no LIBERO Python in the settings',
};

/** With real LIBERO chosen: the interpreter in use, and whether the checklist's bridge rows are ready. */
function LiberoHint() {
  const settingsPython = useApp((s) => s.settings?.settings.liberoPython ?? null);
  const defaults = useApp((s) => s.runDefaults);
  const rows = useApp((s) => s.checks);
  const loaded = useApp((s) => s.checksLoaded);
  const loadChecks = useApp((s) => s.loadChecks);
  const navigate = useApp((s) => s.navigate);
  const connected = useApp((s) => s.connectionState === 'open');
  // The engine keeps the checklist's results: fetch them (not re-run) to say whether the bridge is ready.
  useEffect(() => {
    if (connected && !loaded) void loadChecks();
  }, [connected, loaded, loadChecks]);

  const python = liberoInterpreter(settingsPython, defaults);
  const readiness = bridgeReadiness(rows);
  const toChecklist = (
    <a href="#/checklist" onClick={(e) => (e.preventDefault(), navigate('checklist'))}>
      Checklist
    </a>
  );
  return (
    <>
      <span data-testid="libero-python">
        Runs LIBERO in a Python worker per simulator worker, with{' '}
        {python ? (
          <>
            <code>{python.python}</code> ({ORIGIN[python.origin]})
          </>
        ) : (
          'the interpreter the engine finds'
        )}
        ; set the LIBERO Python on the {toChecklist} page. Initial states: LIBERO’s own init files.
      </span>
      {readiness.state === 'unchecked' && (
        <span className="field-warning" role="status" data-testid="bridge-hint">
          {' '}
          The Python bridge has not been checked: run its rows on the {toChecklist} page first.
        </span>
      )}
      {readiness.state === 'not-ready' && (
        <span className="field-error" role="status" data-testid="bridge-hint">
          {' '}
          The Python bridge is not ready: {readiness.rows.map((r) => `${r.title} (${r.status})`).join(', ')}. See the {toChecklist} page.
        </span>
      )}
    </>
  );
}

/** Waits this long after the last keystroke in the bundle folder before asking what it can decode. */
const DECODINGS_DELAY_MS = 400;

/** Why the form's bundle cannot run some strategies, from its manifest (`eval.decodings`). */
function DecodingLimits() {
  const decodings = useApp((s) => s.decodings);
  if (!decodings || decodings.state === 'loading') return null;
  if (decodings.state === 'error') {
    return (
      <span className="field-error" role="status" data-testid="decoding-limits">
        {' '}
        Could not read the bundle: {decodings.error.message}
      </span>
    );
  }
  const { bundle, choices } = decodings.result;
  const refused = choices.filter((c) => !c.supported);
  if (refused.length === 0) return <span data-testid="decoding-limits"> “{bundle}” can run every strategy.</span>;
  return (
    <span data-testid="decoding-limits">
      {' '}
      “{bundle}” runs {choices.filter((c) => c.supported).map((c) => c.strategy).join(' and ')} only:{' '}
      {refused.map((c) => `not ${c.strategy}, as ${c.reason}`).join('; ')}.
    </span>
  );
}

/** The evaluation's configuration; nothing is sent until every field is valid. */
export function RunForm() {
  const form = useApp((s) => s.runForm);
  const errors = useApp((s) => s.runFormErrors);
  const suites = useApp((s) => s.suites);
  const bundleSetting = useApp((s) => s.settings?.settings.bundleDir ?? null);
  const defaultWorkers = useApp((s) => s.runDefaults?.workers ?? null);
  const edit = useApp((s) => s.editRunForm);
  const startRun = useApp((s) => s.startRun);
  const connected = useApp((s) => s.connectionState === 'open');
  const busy = useApp((s) => s.liveRun?.status === 'starting' || s.liveRun?.status === 'running');
  const decodings = useApp((s) => s.decodings);
  const loadDecodings = useApp((s) => s.loadDecodings);
  const supported = (d: Decoding): boolean => decodings?.state !== 'done' || decodings.result.choices.some((c) => c.strategy === d && c.supported);
  // What the bundle can decode: asked again when its folder (or the settings' folder behind an empty field) changes.
  useEffect(() => {
    if (!connected || form.policy !== 'bundle') return;
    const timer = setTimeout(() => void loadDecodings(), DECODINGS_DELAY_MS);
    return () => clearTimeout(timer);
  }, [connected, form.policy, form.bundleDir, bundleSetting, loadDecodings]);
  // In Electron, a native folder dialog fills the bundle folder; in the browser it is typed.
  const bundleChooser = useFolderChooser('bundle', (bundleDir) => edit({ bundleDir }));

  const suite = suites?.find((s) => s.suite === form.suite);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void startRun();
  };
  const invalid = Object.keys(errors).length > 0;

  return (
    <form className="run-form" aria-label="Evaluation" onSubmit={submit} noValidate>
      <TaskPicker suite={suite} chosen={form.tasks} error={errors.tasks} onChange={(tasks) => edit({ tasks })} disabled={busy} />
      <fieldset className="run-options" disabled={busy}>
        <legend>Configuration</legend>
        <Field label="Suite" error={errors.suite}>
          {(p) => (
            <select {...p} value={form.suite} onChange={(e) => edit({ suite: e.target.value, tasks: [] })}>
              {!suite && <option value="">{suites ? 'Choose a suite' : 'Loading…'}</option>}
              {suites?.map((s) => (
                <option key={s.suite} value={s.suite}>
                  {s.suite} ({s.tasks.length} tasks)
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Simulator" hint={form.simulator === 'libero' ? <LiberoHint /> : 'MuJoCo WebAssembly in the engine: the project’s own LIBERO scenes and initial states.'}>
          {(p) => (
            <select {...p} value={form.simulator} onChange={(e) => edit({ simulator: e.target.value as SimulatorKind })}>
              {SIMULATORS.map((s) => (
                <option key={s.kind} value={s.kind}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Trials per task" error={errors.trials} hint={form.debug ? 'Debug mode runs one trial.' : `Trial t starts from initial state t; 1 to ${MAX_TRIALS}.`}>
          {(p) => <input {...p} type="number" min={1} max={MAX_TRIALS} step={1} value={form.debug ? '1' : form.trials} disabled={form.debug} onChange={(e) => edit({ trials: e.target.value })} />}
        </Field>
        <Field label="Max steps per episode" error={errors.maxSteps} hint={`Empty: the suite’s ${suite?.maxSteps ?? ''} steps. Fewer make a quick trial run.`}>
          {(p) => <input {...p} type="number" min={1} step={1} value={form.maxSteps} placeholder={suite ? String(suite.maxSteps) : ''} onChange={(e) => edit({ maxSteps: e.target.value })} />}
        </Field>
        <Field label="Policy" hint={form.policy === 'remote' ? 'A model served over openpi’s WebSocket protocol (its serve_policy.py, python/policy_server): the server decodes; its replies say how.' : 'A model bundle run in the engine, with the decoding chosen here.'}>
          {(p) => (
            <select {...p} value={form.policy} onChange={(e) => edit({ policy: e.target.value as PolicyChoice })}>
              {POLICY_CHOICES.map((c) => (
                <option key={c.kind} value={c.kind}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {form.policy === 'remote' ? (
          <ServerFields />
        ) : (
          <>
            <Field
              label="Decoding strategy"
              hint={
                <>
                  {DECODING_HINT[form.decoding]}
                  <DecodingLimits />
                </>
              }
            >
              {(p) => (
                <select {...p} value={form.decoding} onChange={(e) => edit({ decoding: e.target.value as Decoding })}>
                  {DECODINGS.map((d) => (
                    <option key={d} value={d} disabled={!supported(d)}>
                      {supported(d) ? d : `${d} (not in this bundle)`}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {usesAcceptRule(form) && (
              <Field label="Acceptance rule" hint={ACCEPT_HINT[form.accept]}>
                {(p) => (
                  <select {...p} value={form.accept} onChange={(e) => edit({ accept: e.target.value as AcceptRule })}>
                    {ACCEPT_RULES.map((a) => (
                      <option key={a} value={a}>
                        {a}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            {usesThreshold(form) && (
              <Field label="Threshold" error={errors.threshold} hint="From 0 to 1 (1 is exact); the seed project used 0.7.">
                {(p) => <input {...p} type="number" min={0} max={1} step={0.05} value={form.threshold} onChange={(e) => edit({ threshold: e.target.value })} />}
              </Field>
            )}
            {usesLayers(form) && (
              <Field label="Layers" error={errors.layers} hint="Decode only the first code layers (the rest add nothing); empty for every layer.">
                {(p) => <input {...p} type="number" min={1} step={1} placeholder="all" value={form.layers} onChange={(e) => edit({ layers: e.target.value })} />}
              </Field>
            )}
            <Field label="Execution provider" hint="auto tries CUDA, then WebGPU, then CPU, and records why it chose one.">
              {(p) => (
                <select {...p} value={form.ep} onChange={(e) => edit({ ep: e.target.value as ExecutionProvider })}>
                  {EXECUTION_PROVIDERS.map((ep) => (
                    <option key={ep} value={ep}>
                      {ep}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Bundle folder"
              hint={
                <>
                  {bundleSetting ? `Empty: the bundle in the settings, ${bundleSetting}.` : 'Empty: the bundle that ships with the app.'}
                  {bundleChooser?.error && (
                    <span className="field-error" role="alert">
                      {' '}
                      {bundleChooser.error}
                    </span>
                  )}
                </>
              }
            >
              {(p) => {
                const input = <input {...p} type="text" className="wide" value={form.bundleDir} placeholder={bundleSetting ?? 'the default bundle'} spellCheck={false} onChange={(e) => edit({ bundleDir: e.target.value })} />;
                if (!bundleChooser) return input;
                return (
                  <div style={{ display: 'flex', gap: 8 }}>
                    {input}
                    <button type="button" onClick={bundleChooser.choose} disabled={bundleChooser.busy} aria-label="Choose the bundle folder">
                      Choose…
                    </button>
                  </div>
                );
              }}
            </Field>
          </>
        )}
        <Field label="Workers" error={errors.workers} hint={form.debug ? 'Debug mode uses one worker.' : `Simulator threads; empty: one per core${defaultWorkers ? ` (${defaultWorkers} here)` : ''}.`}>
          {(p) => <input {...p} type="number" min={1} step={1} value={form.workers} placeholder={defaultWorkers ? String(defaultWorkers) : 'default'} onChange={(e) => edit({ workers: e.target.value })} />}
        </Field>
        <Field label="Seed" error={errors.seed} hint={`0 to ${MAX_SEED}: seeds stochastic acceptance and sampling.`}>
          {(p) => <input {...p} type="number" min={0} step={1} value={form.seed} onChange={(e) => edit({ seed: e.target.value })} />}
        </Field>
        <div className="field field-check">
          <label>
            <input type="checkbox" checked={form.debug} onChange={(e) => edit({ debug: e.target.checked })} /> Debug mode
          </label>
          <p className="field-hint">One task, one trial, one worker, and a log line per step and per chunk.</p>
        </div>
        <div className="field field-check">
          <label>
            <input type="checkbox" checked={form.recordCameras} onChange={(e) => edit({ recordCameras: e.target.checked })} /> Record camera images
          </label>
          <p className="field-hint">
            Both cameras at 128×128 in every trajectory, for Replay’s camera panel and video export (about 1.5 MB per 220-step episode). A vision bundle’s own
            cameras are recorded without it.
          </p>
        </div>
      </fieldset>
      <div className="run-actions">
        <button type="submit" className="primary" disabled={!connected || busy}>
          {busy ? 'Running…' : 'Start'}
        </button>
        {invalid && (
          <span className="field-error" role="status">
            Fix the marked fields to start.
          </span>
        )}
      </div>
    </form>
  );
}
