import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../../../engine/util/safe-path.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'rsd-safe-path-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The invariant: nothing resolves outside root. */
function staysInside(result: string | null): boolean {
  if (result === null) return true;
  const relative = path.relative(root, result);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

describe('resolveInside', () => {
  it('maps ordinary paths inside root', () => {
    expect(resolveInside(root, '/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInside(root, '/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveInside(root, '/my%20file.css')).toBe(path.join(root, 'my file.css'));
  });

  it.each([
    '/../secret',
    '/../../etc/passwd',
    '/assets/../../secret',
    '/%2e%2e/secret',
    '/%2E%2E/%2e%2e/etc/passwd',
    '/..%2fsecret',
    '/..%2f..%2fetc%2fpasswd',
    '/..%5csecret',
    '/%5c..%5c..%5cetc',
    '/index.html%00.png',
    '/%E0%A4%A',
    '/%',
    '//etc/passwd',
  ])('keeps %j inside root', (urlPath) => {
    expect(staysInside(resolveInside(root, urlPath))).toBe(true);
  });

  it('refuses encoded backslashes, NUL bytes and malformed percent-encoding outright', () => {
    expect(resolveInside(root, '/..%5csecret')).toBeNull();
    expect(resolveInside(root, '/assets%5capp.js')).toBeNull();
    expect(resolveInside(root, '/index.html%00.png')).toBeNull();
    expect(resolveInside(root, '/%E0%A4%A')).toBeNull();
  });

  it('clamps .. at root rather than escaping it', () => {
    expect(resolveInside(root, '/../index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInside(root, '/%2e%2e/index.html')).toBe(path.join(root, 'index.html'));
  });
});
