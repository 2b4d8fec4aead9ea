import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { resolveInside } from '../engine/util/safe-path.js';
import { APP_HOST, APP_SCHEME, RENDERER_CSP } from './trust.js';
import { contentTypeOf } from '../engine/util/content-type.js';

/** Must run before app ready: app:// behaves as a secure, standard origin. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer at app://rsd/, refusing any path that leaves its folder. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    const file = resolveInside(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname);
    if (file === null) return new Response('bad path', { status: 400 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { 'content-type': contentTypeOf(file), 'content-security-policy': RENDERER_CSP },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
