// Entry of every worker thread (expert pool, evaluation runner). A worker does not inherit the tsx loader its parent runs
// under (bin/rsd.mjs registers it; vitest transforms sources its own way), so it registers tsx
// itself and then imports the TypeScript module named in workerData.module.
import { workerData } from 'node:worker_threads';

const url = String(workerData.module);
if (url.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(url);
