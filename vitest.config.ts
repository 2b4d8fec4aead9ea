import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Three projects: the engine and Electron's pure modules in Node, the renderer in jsdom, and
// end-to-end tests that drive Debian's Chromium against a real `rsd serve`.
export default defineConfig({
  test: {
    // Both cores of the 2-core build machines: vitest's default (cores - 1) ran the files one at a
    // time; much of a test's time is a child process (Python, the CLI, Chromium) waiting.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'engine',
          environment: 'node',
          include: ['test/engine/**/*.test.ts', 'test/electron/**/*.test.ts'],
          setupFiles: ['test/engine/setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          setupFiles: ['test/engine/setup.ts', 'test/renderer/setup.ts'],
          // A hang guard, not a speed test: with two workers on two shared cores a jsdom page test
          // that takes 2 s alone may take 6.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: ['test/engine/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
