import { useEffect } from 'react';
import type { SystemInfo } from '../../../engine/api/system.js';
import { useApp } from '../store/context.js';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-testid={testId}>{children}</td>
    </tr>
  );
}

function Providers({ info }: { info: SystemInfo['onnxruntime'] }) {
  if (info.status === 'failed') return <span className="bad">{info.error}</span>;
  return (
    <ul className="providers" aria-label="Execution providers">
      {info.executionProviders.map((ep) => (
        <li key={ep.name} className={ep.available ? 'good' : 'muted'} data-testid={`ep-${ep.name}`}>
          <span className="badge">{ep.available ? 'available' : 'unavailable'}</span> <code>{ep.name}</code>
          {ep.note && <span className="note"> {ep.note}</span>}
        </li>
      ))}
    </ul>
  );
}

export function SystemPage() {
  const info = useApp((s) => s.systemInfo);
  const loading = useApp((s) => s.systemLoading);
  const load = useApp((s) => s.loadSystemInfo);
  const connected = useApp((s) => s.connectionState === 'open');

  useEffect(() => {
    if (connected && !info) void load();
  }, [connected, info, load]);

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">System</h1>
      <p className="lede">What the engine runs on, probed live: onnxruntime-node's binding and MuJoCo's WebAssembly module are loaded and asked.</p>
      <button type="button" onClick={() => void load(true)} disabled={loading || !connected}>
        {loading ? 'Probing…' : 'Probe again'}
      </button>
      {info ? (
        <table className="facts" aria-label="System information">
          <tbody>
            <Row label="App" testId="app-version">{info.app.name} {info.app.version}</Row>
            <Row label="Engine host">{info.engineHost}</Row>
            <Row label="Node" testId="node-version">{info.runtime.node}</Row>
            <Row label="Electron" testId="electron-version">{info.runtime.electron ?? 'not running in Electron'}</Row>
            <Row label="Platform">{info.runtime.platform}-{info.runtime.arch}</Row>
            <Row label="CPUs" testId="cpu-count">{info.machine.cpuCount} ({info.machine.cpuModel})</Row>
            <Row label="Memory">{gib(info.machine.totalMemoryBytes)} total, {gib(info.machine.freeMemoryBytes)} free</Row>
            <Row label="onnxruntime-node" testId="ort-version">{info.onnxruntime.status === 'loaded' ? info.onnxruntime.version : 'failed to load'}</Row>
            <Row label="Execution providers"><Providers info={info.onnxruntime} /></Row>
            <Row label="MuJoCo" testId="mujoco-version">
              {info.mujoco.status === 'loaded'
                ? `${info.mujoco.version} (@mujoco/mujoco ${info.mujoco.packageVersion}, loaded in ${info.mujoco.loadMs.toFixed(0)} ms)`
                : <span className="bad">{info.mujoco.error}</span>}
            </Row>
            <Row label="Probed at">{new Date(info.collectedAt).toLocaleString()}</Row>
          </tbody>
        </table>
      ) : (
        <p className="muted">{loading ? 'Probing the engine…' : connected ? 'No system information yet: press Probe again.' : 'Waiting for the engine connection…'}</p>
      )}
    </section>
  );
}
