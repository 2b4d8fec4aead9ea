import { useApp } from '../store/context.js';

const KIND_LABEL = { electron: 'Electron', server: 'Server (WebSocket)', 'in-process': 'In-process' } as const;

function formatUptime(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function StatusBar() {
  const kind = useApp((s) => s.connectionKind);
  const connection = useApp((s) => s.connectionState);
  const engine = useApp((s) => s.engine);
  const version = useApp((s) => s.systemInfo?.app.version);

  return (
    <footer className="status-bar" role="status" aria-label="Engine status">
      <span data-testid="connection-kind">{kind ? KIND_LABEL[kind] : 'Not connected'}</span>
      <span className={`dot dot-${connection}`} aria-hidden />
      <span data-testid="connection-state">{connection}</span>
      <span data-testid="engine-health" className={`health health-${engine.state}`}>
        {engine.state === 'ok' && `Engine healthy · pid ${engine.health.pid} · up ${formatUptime(engine.health.uptimeSec)} · ${(engine.health.rssBytes / 2 ** 20).toFixed(0)} MiB`}
        {engine.state === 'down' && `Engine unreachable: ${engine.reason}`}
        {engine.state === 'unknown' && 'Engine: checking…'}
      </span>
      <span className="spacer" />
      {version && <span>v{version}</span>}
    </footer>
  );
}
