// security.ts imports `shell` from electron, whose binary cannot run here: `electron` is replaced by a
// TEST DOUBLE that records shell.openExternal. The WebContents and Session are doubles too.
import type { Session, WebContents } from 'electron';
import { shell } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hardenSession, hardenWebContents, isTrustedSender, secureWebPreferences } from '../../electron/security.js';

vi.mock('electron', () => ({ shell: { openExternal: vi.fn(async () => undefined) } }));

type Handler = (...args: unknown[]) => unknown;

/** Records the handlers that hardenWebContents installs, so that each can be driven by hand. */
function fakeContents() {
  const handlers = new Map<string, Handler>();
  let openHandler: Handler | undefined;
  const contents = {
    on: (name: string, handler: Handler) => handlers.set(name, handler),
    setWindowOpenHandler: (handler: Handler) => (openHandler = handler),
  };
  hardenWebContents(contents as unknown as WebContents);
  /** Fires `name` with a fresh event and returns whether the handler prevented it. */
  const fire = (name: string, ...args: unknown[]) => {
    const event = { preventDefault: vi.fn() };
    handlers.get(name)?.(event, ...args);
    return event.preventDefault.mock.calls.length > 0;
  };
  const openWindow = (url: string) => openHandler?.({ url });
  return { handlers, fire, openWindow };
}

beforeEach(() => vi.mocked(shell.openExternal).mockClear());

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
  });
});

describe('hardenWebContents', () => {
  it('installs every guard', () => {
    expect([...fakeContents().handlers.keys()].sort()).toEqual(['will-attach-webview', 'will-navigate', 'will-redirect']);
  });

  it('blocks navigation and redirects away from the app', () => {
    const { fire } = fakeContents();
    expect(fire('will-navigate', 'https://evil.com')).toBe(true);
    expect(fire('will-navigate', 'app://evil/index.html')).toBe(true);
    expect(fire('will-navigate', 'app://rsd/index.html')).toBe(false);
    expect(fire('will-redirect', 'https://evil.com')).toBe(true);
    expect(fire('will-redirect', 'app://rsd/#/system')).toBe(false);
  });

  it('blocks webviews', () => {
    expect(fakeContents().fire('will-attach-webview', {}, {})).toBe(true);
  });

  it('denies every new window, opening only allow-listed links in the browser', () => {
    const { openWindow } = fakeContents();
    expect(openWindow('https://github.com/x')).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://github.com/x');

    for (const url of ['https://evil.com', 'http://github.com', 'app://rsd/index.html', 'file:///etc/passwd']) {
      expect(openWindow(url)).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).toHaveBeenCalledOnce();
  });
});

describe('hardenSession', () => {
  it('refuses permission requests and checks', () => {
    const session = { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() };
    hardenSession(session as unknown as Session);

    const onRequest = session.setPermissionRequestHandler.mock.calls[0]?.[0] as Handler;
    const callback = vi.fn();
    onRequest({}, 'media', callback, {});
    expect(callback).toHaveBeenCalledExactlyOnceWith(false);

    const onCheck = session.setPermissionCheckHandler.mock.calls[0]?.[0] as Handler;
    expect(onCheck({}, 'notifications', 'app://rsd', {})).toBe(false);
  });
});

describe('isTrustedSender', () => {
  it('trusts only frames of the app itself', () => {
    expect(isTrustedSender('app://rsd/index.html')).toBe(true);
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender('https://evil.com/')).toBe(false);
    expect(isTrustedSender('app://evil/index.html')).toBe(false);
    expect(isTrustedSender('')).toBe(false);
  });
});
