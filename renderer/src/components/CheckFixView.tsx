import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { CheckFix } from '../../../engine/api/checks.js';
import { DECODING_STRATEGIES, type SettingKey } from '../../../engine/api/settings.js';
import { useFolderChooser } from '../dialogs.js';
import { useApp } from '../store/context.js';

/**
 * A setting's field: its label, what it takes (a folder, a file typed since the native dialog chooses
 * folders, other typed text, or a choice), its placeholder and its button.
 */
interface SettingField {
  label: string;
  kind: 'folder' | 'text' | 'choice';
  placeholder?: string;
  submit: string;
}

const SETTING_FIELD: Record<SettingKey, SettingField> = {
  bundleDir: { label: 'Bundle folder', kind: 'folder', placeholder: '/absolute/path/to/folder', submit: 'Use this folder' },
  liberoDir: { label: 'LIBERO folder', kind: 'folder', placeholder: '/absolute/path/to/folder', submit: 'Use this folder' },
  liberoPython: { label: 'LIBERO Python interpreter', kind: 'text', placeholder: '/absolute/path/to/bin/python', submit: 'Use this interpreter' },
  decoding: { label: 'Decoding strategy', kind: 'choice', submit: 'Use this strategy' },
  policyServer: { label: 'Policy server address', kind: 'text', placeholder: 'ws://127.0.0.1:8000', submit: 'Use this server' },
  policyProfile: { label: 'Policy profile', kind: 'text', placeholder: 'openpi-libero, rsd-server or /absolute/path/to/profile.json', submit: 'Use this profile' },
  policyApiKeyEnv: { label: 'API key environment variable', kind: 'text', placeholder: 'POLICY_API_KEY', submit: 'Use this variable' },
};

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

  const field = SETTING_FIELD[setting];
  const typed = field.kind !== 'choice';
  const isFolder = field.kind === 'folder';
  // In Electron, a native folder dialog fills the field; saving it is still the user's click.
  const chooser = useFolderChooser(setting === 'liberoDir' ? 'libero' : 'bundle', setDraft);
  return (
    <form className="fix fix-setting" onSubmit={(e) => void submit(e)} aria-label={`Fix for ${title}`}>
      <label htmlFor={`${id}-input`}>{field.label}</label>
      {typed ? (
        <input
          id={`${id}-input`}
          type="text"
          value={value}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={field.placeholder}
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
      <button type="submit" disabled={saving || (typed && value.trim() === '')}>
        {saving ? 'Saving…' : field.submit}
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
