import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import v8 from 'node:v8';
import { afterEach } from 'vitest';

// Globals are off, so Testing Library cannot register its own cleanup: unmount after every test.
afterEach(cleanup);

// findBy*/waitFor give up after this long: a hang guard, not a speed test. Its default (1 s) failed
// pages that render in 0.2 s alone when two workers and other work share two cores.
configure({ asyncUtilTimeout: 10_000 });

// IMPORTANT: vitest's jsdom environment replaces the typed-array constructors with jsdom's, but these
// tests run the real engine in this process, and onnxruntime-node checks what it is given against
// the globals (`data instanceof Float32Array`, a model's bytes `instanceof Uint8Array`), which Node's
// own arrays (Buffer, what fs returns) then fail. Put Node's back: v8.deserialize makes its arrays
// with them, and Buffer extends Node's Uint8Array.
const restore = (name: string, value: unknown) => Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
for (const name of ['Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint16Array', 'Uint32Array', 'Uint8ClampedArray'] as const) {
  restore(name, (v8.deserialize(v8.serialize(new globalThis[name](0))) as object).constructor);
}
restore('Uint8Array', Object.getPrototypeOf(Buffer.prototype).constructor);
restore('ArrayBuffer', Buffer.alloc(1).buffer.constructor);

// uPlot asks matchMedia for the pixel ratio when its module loads; jsdom has none. The charts
// themselves are not drawn here (no canvas): components/charts/Chart.tsx shows their data table.
if (typeof window.matchMedia !== 'function') {
  Object.defineProperty(window, 'matchMedia', {
    configurable: true,
    value: (query: string) => ({ matches: false, media: query, onchange: null, addEventListener() {}, removeEventListener() {}, addListener() {}, removeListener() {}, dispatchEvent: () => false }),
  });
}
