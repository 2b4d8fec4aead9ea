import type { PolicyProbe } from '../../../../engine/api/policy-server.js';
import { useApp } from '../../store/context.js';
import { PROFILE_FILE, sameServer, serverAddress, type ServerProbe } from '../../store/run.js';
import { Field } from './Field.js';

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

const KEY_SENT: Record<Extract<PolicyProbe, { ok: true }>['key'], string> = {
  given: 'the key typed here',
  settings: 'the key from the settings’ variable',
  none: 'no key',
};

/** What the last probe of this address found: the server's metadata, or why it could not be reached. */
function ProbeResult({ probe }: { probe: ServerProbe }) {
  if (probe.state === 'probing') {
    return (
      <p className="muted" role="status" data-testid="server-probe">
        Reaching {probe.url}…
      </p>
    );
  }
  if (probe.state === 'error') {
    return (
      <p className="field-error" role="alert" data-testid="server-probe">
        Could not probe {probe.url}: {probe.error.message}
      </p>
    );
  }
  const r = probe.result;
  if (!r.ok) {
    return (
      <p className="field-error" role="alert" data-testid="server-probe">
        {r.url} cannot be used ({r.reason}): {r.message}
      </p>
    );
  }
  return (
    <div className="server-probe" role="status" data-testid="server-probe">
      <p>
        <strong>{r.url}</strong> answered with {KEY_SENT[r.key]}: /healthz {r.health.status} in {ms(r.health.ms)}, its metadata in {ms(r.metadataMs)}.
        {r.health.status !== 200 && <span className="field-warning"> /healthz is not 200: health checks would count it as down.</span>}
      </p>
      <ul data-testid="server-metadata">
        {r.summary.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}

/** A policy server's run: its address (default the settings'), a probe of it, the profile and the key. */
export function ServerFields() {
  const form = useApp((s) => s.runForm);
  const errors = useApp((s) => s.runFormErrors);
  const saved = useApp((s) => s.settings?.settings ?? null);
  const profiles = useApp((s) => s.runDefaults?.policyProfiles ?? []);
  const probe = useApp((s) => s.serverProbe);
  const edit = useApp((s) => s.editRunForm);
  const probeServer = useApp((s) => s.probeServer);
  const connected = useApp((s) => s.connectionState === 'open');

  const url = serverAddress(form, saved);
  // A probe of another address (the field changed since) is not shown.
  const shown = probe && url && sameServer(probe.url, url) ? probe : null;
  const implied = shown?.state === 'done' && shown.result.ok ? shown.result.defaultProfile : null;
  const automatic = saved?.policyProfile
    ? `The settings’ profile (${saved.policyProfile})`
    : `From the server’s metadata${implied ? ` (${implied})` : ''}`;
  const chosen = profiles.find((p) => p.name === form.serverProfile);
  const profileHint =
    form.serverProfile === PROFILE_FILE
      ? 'A profile JSON file of your own (docs/remote-policies.md “Profiles”).'
      : chosen
        ? chosen.description
        : saved?.policyProfile
          ? 'As the Checklist’s policy settings say.'
          : 'rsd-server for the project’s python/policy_server (its metadata says so), else openpi-libero.';

  return (
    <>
      <Field
        label="Server address"
        error={errors.serverUrl}
        hint={saved?.policyServer ? `Empty: the server in the settings, ${saved.policyServer}.` : 'ws://HOST:PORT, or wss:// through TLS; the Checklist’s policy server setting fills it in.'}
      >
        {(p) => (
          <input
            {...p}
            type="text"
            className="wide"
            value={form.serverUrl}
            placeholder={saved?.policyServer ?? 'ws://127.0.0.1:8000'}
            spellCheck={false}
            onChange={(e) => edit({ serverUrl: e.target.value })}
          />
        )}
      </Field>
      <div className="field wide-field">
        <div>
          <button type="button" onClick={() => void probeServer()} disabled={!connected || shown?.state === 'probing'}>
            Check server
          </button>{' '}
          {!shown && <span className="field-hint">Shows what the server serves: its model, cameras, actions and decoding.</span>}
        </div>
        {shown && <ProbeResult probe={shown} />}
      </div>
      <Field label="Policy profile" hint={profileHint}>
        {(p) => (
          <select {...p} value={form.serverProfile} onChange={(e) => edit({ serverProfile: e.target.value })}>
            <option value="">{automatic}</option>
            {profiles.map((profile) => (
              <option key={profile.name} value={profile.name}>
                {profile.name}
              </option>
            ))}
            <option value={PROFILE_FILE}>A profile file…</option>
          </select>
        )}
      </Field>
      <Field label="API key" hint="Sent as Authorization: Api-Key; kept in this window only, never saved. Empty: the settings’ key variable, for the settings’ server.">
        {(p) => <input {...p} type="password" autoComplete="off" value={form.apiKey} onChange={(e) => edit({ apiKey: e.target.value })} />}
      </Field>
      {form.serverProfile === PROFILE_FILE && (
        <Field label="Profile file" error={errors.profileFile} hint="Its absolute path.">
          {(p) => <input {...p} type="text" className="wide" value={form.profileFile} placeholder="/path/to/profile.json" spellCheck={false} onChange={(e) => edit({ profileFile: e.target.value })} />}
        </Field>
      )}
    </>
  );
}
