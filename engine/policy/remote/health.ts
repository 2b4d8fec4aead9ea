/**
 * openpi's health probe: `GET /healthz` on the server's address answers 200 while it serves. It
 * opens no WebSocket and needs no API key, so it tells "nothing listens there" apart from "the
 * server refuses this client".
 */

export interface Health {
  ok: boolean;
  /** The HTTP status, or null when nothing answered. */
  status: number | null;
  /** The body's first line, or why nothing answered. */
  detail: string;
}

/** The /healthz address of a ws:// or wss:// server address (its path and query dropped). */
export function healthUrl(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/healthz';
  u.search = '';
  return u.toString();
}

export async function probeHealth(url: string, timeoutMs = 5_000): Promise<Health> {
  try {
    const response = await fetch(healthUrl(url), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.text()).split('\n')[0]!.trim().slice(0, 200);
    return { ok: response.status === 200, status: response.status, detail: body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, status: null, detail: cause ?? (error as Error).message };
  }
}
