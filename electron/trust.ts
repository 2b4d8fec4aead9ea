/**
 * Which URLs the app trusts, decided by parsing (never by substring). No Electron import, so it is
 * tested in plain Node.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'rsd';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Hosts that links may open in the user's browser (documentation the app points to). */
export const EXTERNAL_HOSTS = new Set([
  'github.com',
  'libero-project.github.io',
  'mujoco.readthedocs.io',
  'onnxruntime.ai',
  'modal.com',
  'www.electronjs.org',
]);

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The app's own pages, served by the app:// protocol. */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** Only https links to the allow-listed hosts go to shell.openExternal. */
export function isAllowedExternalUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === 'https:' && parsed.port === '' && parsed.username === '' && parsed.password === '' && EXTERNAL_HOSTS.has(parsed.hostname);
}

/**
 * Content Security Policy of the renderer: only its own scripts; WebAssembly allowed for the
 * replay/ONNX code that may run in the page; no remote connections.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
