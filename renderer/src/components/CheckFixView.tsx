import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { CheckFix } from '../../../engine/api/checks.js';
import { DECODING_STRATEGIES, type SettingKey } from '../../../engine/api/settings.js';
import { useFolderChooser } from '../dialogs.js';
import { useApp } from '../store/context.js';

const SETTING_LABEL: Record<SettingKey, string> = { bundleDir: 'Bundle folder', liberoDir: 'LIBERO folder', liberoPython: 'LIBERO Python interpreter', decoding: 'Decoding strategy' };

/** What a setting's field takes: a folder, a file (typed: the native dialog chooses folders), or a choice. */
const SETTING_KIND: Record<SettingKey, 'folder' | 'file' | 'choice'> = { bundleDir: 'folder', liberoDir: 'folder', liberoPython: 'file', decoding: 'choice' };

/** A fix as the best thing the app can offer: a button that does it, a field for the setting, or the exact command. */
export function CheckFixView({ fix, title }: { fix: CheckFix; title: string }) {
  if (fix.kind === 'command') return <CommandFix command={fix.command} hint={fix.hint} />;
  if (fix.kind === 'setting') return <SettingFix setting={fix.setting} hint={fix.hint} title={title} />;
  return <ActionFix fix={fix} />;
}

function CommandFix({ command, hint }: { command: string; hint?: string }) {
  const code = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'select'>('idle');
  useEffect(() => {
    if (copied !== 'copied') return;
    const timer = setTimeout(() => setCopied('idle'), 2500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied('copied');
    } catch {
      // No clipboard (a page served over plain http to another host): select it for Ctrl+C instead.
      const range = document.createRange();
      if (code.current) range.selectNodeContents(code.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied('select');
    }
  };
  return (
    <div className="fix fix-command">
      <span className="fix-label">Fix:</span>
      <code ref={code} className="fix-code">
        {command}
      </code>
      <button type="button" onClick={() => void copy()} aria-label={`Copy command: ${command}`}>
        {copied === 'copied' ? 'Copied' : 'Copy'}
      </button>
      {copied === 'select' && <span className="muted"> Selected: press Ctrl+C to copy.</span>}
      {hint && <p className="fix-hint">{hint}</p>}
    </div>
  );
}

function SettingFix({ setting, hint, title }: { setting: SettingKey; hint: string; title: string }) {
  const id = useId();
  const current = useApp((s) => s.settings?.settings[setting] ?? null);
  const changeSettings = useApp((s) => s.changeSettings);
  // What the user typed; until then the saved value (settings may arrive after the first render).
  const [draft, setDraft] = useState<string | null>(null);
  const value = draft ?? current ?? (setting === 'decoding' ? 'speculative' : '');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const failed = await changeSettings({ [setting]: value });
    setSaving(false);
    setError(failed ? failed.message : null);
    if (!failed) setDraft(null);
  };

  const kind = SETTING_KIND[setting];
  const isPath = kind !== 'choice';
  const isFolder = kind === 'folder';
  // In Electron, a native folder dialog fills the field; saving it is still the user's click.
  const chooser = useFolderChooser(setting === 'liberoDir' ? 'libero' : 'bundle', setDraft);
  return (
    <form className="fix fix-setting" onSubmit={(e) => void submit(e)} aria-label={`Fix for ${title}`}>
      <label htmlFor={`${id}-input`}>{SETTING_LABEL[setting]}</label>
      {isPath ? (
        <input
          id={`${id}-input`}
          type="text"
          value={value}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={isFolder ? '/absolute/path/to/folder' : '/absolute/path/to/bin/python'}
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        />
      ) : (
        <select id={`${id}-input`} value={value} onChange={(e) => setDraft(e.target.value)} aria-describedby={`${id}-hint`}>
          {DECODING_STRATEGIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      )}
      {isFolder && chooser && (
        <button type="button" onClick={chooser.choose} disabled={chooser.busy || saving} aria-label={setting === 'liberoDir' ? 'Choose the LIBERO folder' : 'Choose the bundle folder'}>
          Choose…
        </button>
      )}
      <button type="submit" disabled={saving || (isPath && value.trim() === '')}>
        {saving ? 'Saving…' : isFolder ? 'Use this folder' : isPath ? 'Use this interpreter' : 'Use this strategy'}
      </button>
      <p id={`${id}-hint`} className="fix-hint">
        {hint}
      </p>
      {error && (
        <p id={`${id}-error`} className="fix-error" role="alert">
          {error}
        </p>
      )}
      {isFolder && chooser?.error && (
        <p className="fix-error" role="alert">
          {chooser.error}
        </p>
      )}
    </form>
  );
}

function ActionFix({ fix }: { fix: Extract<CheckFix, { kind: 'action' }> }) {
  const changeSettings = useApp((s) => s.changeSettings);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async () => {
    setBusy(true);
    // The contract's only action today is a settings change; FixAction's union grows with the app.
    const failed = await changeSettings(fix.action.params);
    setBusy(false);
    setError(failed ? failed.message : null);
  };
  return (
    <div className="fix fix-action">
      <button type="button" className="primary" onClick={() => void act()} disabled={busy}>
        {fix.label}
      </button>
      {error && (
        <p className="fix-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
