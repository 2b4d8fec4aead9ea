import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, isAppUrl, RENDERER_CSP } from '../../electron/trust.js';

describe('isAppUrl', () => {
  it.each(['app://rsd/index.html', 'app://rsd/#/system', 'app://rsd/index.html#/replay?run=20261125-100000-aaaaaa&task=3&trial=1&step=42&camera=agentview'])('accepts %s', (url) => {
    expect(isAppUrl(url)).toBe(true);
  });

  it.each(['app://evil/', 'http://rsd/', 'app://user@rsd/', 'app://user:pw@rsd/', 'file:///', 'not a url', '', 'app:rsd'])(
    'rejects %j',
    (url) => {
      expect(isAppUrl(url)).toBe(false);
    },
  );
});

describe('isAllowedExternalUrl', () => {
  it.each(['https://github.com/x', 'https://onnxruntime.ai/docs/'])('accepts %s', (url) => {
    expect(isAllowedExternalUrl(url)).toBe(true);
  });

  it.each([
    'http://github.com',
    'https://github.com.evil.com',
    'https://evil.com/github.com',
    'https://evil.com/?u=https://github.com',
    'https://user:pw@github.com',
    'https://github.com:8443/',
    'javascript:alert(1)',
    'not a url',
    'https://',
    '',
  ])('rejects %j', (url) => {
    expect(isAllowedExternalUrl(url)).toBe(false);
  });
});

describe('RENDERER_CSP', () => {
  const directives = new Map(
    RENDERER_CSP.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it("loads scripts only from 'self', with no eval except WebAssembly's", () => {
    expect(directives.get('script-src')).toContain("'self'");
    expect(RENDERER_CSP.replaceAll("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
  });

  it('allows no remote connections and no plugins', () => {
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
  });
});
