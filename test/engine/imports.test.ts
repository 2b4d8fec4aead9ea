import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ISummary } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { describe, expect, it } from 'vitest';

// The import rules (.dependency-cruiser.cjs, docs/architecture.md "Import rules") checked with
// dependency-cruiser over the tree, and shown to fail on a file that breaks them.

const root = fileURLToPath(new URL('../../', import.meta.url));
const BASELINE = '.dependency-cruiser-known-violations.json';
type Known = NonNullable<ICruiseOptions['knownViolations']>;

async function knownViolations(): Promise<Known> {
  return JSON.parse(await readFile(path.join(root, BASELINE), 'utf8')) as Known;
}

async function check(files: string[], options: { known?: Known; maxDepth?: number } = {}): Promise<ISummary> {
  const config = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
  const { output } = await cruise(files, { ...config, baseDir: root, ...(options.known ? { knownViolations: options.known } : {}), ...(options.maxDepth ? { maxDepth: options.maxDepth } : {}) });
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered text: ${output.slice(0, 200)}`);
  return output.summary;
}

/** The violations that count (known ones are softened to `ignore`), as `rule: from -> to`. */
const problems = (summary: ISummary): string[] => summary.violations.filter((v) => v.rule.severity !== 'ignore').map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

/** Writes a probe file for the duration of `body`, then removes it. */
async function withProbe<T>(folder: string, text: string, body: (file: string) => Promise<T>): Promise<T> {
  const file = path.posix.join(folder, `import-probe-${process.pid}-${randomBytes(3).toString('hex')}.ts`);
  await writeFile(path.join(root, file), text);
  try {
    return await body(file);
  } finally {
    await rm(path.join(root, file), { force: true });
  }
}

describe('import rules', () => {
  it('hold over engine/, renderer/ and electron/, but for the known violations, each of which is still there', async () => {
    const known = await knownViolations();
    const summary = await check(['engine', 'renderer', 'electron'], { known });
    expect(summary.totalCruised).toBeGreaterThan(150);
    expect(problems(summary)).toEqual([]);
    // A known violation that is gone must leave the baseline (empty now), so that its rule holds in full again.
    const stale = known.filter((k) => !summary.violations.some((v) => v.from === k.from && v.to === k.to && v.rule.name === k.rule.name)).map((k) => `${k.rule.name}: ${k.from} -> ${k.to}`);
    expect(stale, `fixed: remove these from ${BASELINE}`).toEqual([]);
  });

  it('fail when a renderer file imports the engine outside the contract, by value or only a type', async () => {
    const probe = "import { compareResults } from '../../engine/eval/compare.js';\nimport type { RunStore } from '../../engine/runs/store.js';\nexport const probe: [typeof compareResults, RunStore | null] = [compareResults, null];\n";
    const found = await withProbe('renderer/src', probe, async (file) => ({ file, problems: problems(await check([file], { maxDepth: 1 })) }));
    expect(found.problems).toEqual([`renderer-imports-only-the-contract: ${found.file} -> engine/eval/compare.ts`, `renderer-imports-only-the-contract: ${found.file} -> engine/runs/store.ts`]);
  });

  it('let a renderer file import the contract', async () => {
    const probe = "import { decodeFloats } from '../../engine/api/trajectory-codec.js';\nimport type { Comparison } from '../../engine/api/schemas/comparison.js';\nexport const probe: [typeof decodeFloats, Comparison | null] = [decodeFloats, null];\n";
    expect(await withProbe('renderer/src', probe, async (file) => problems(await check([file], { maxDepth: 1 })))).toEqual([]);
  });

  it('keep the fidelity report above evaluation and the expert: an eval -> fidelity or expert -> fidelity import fails, fidelity -> eval does not', async () => {
    const known = await knownViolations();
    const up = "import type { FidelityHooks } from '../fidelity/run.js';\nexport type Probe = FidelityHooks;\n";
    for (const folder of ['engine/eval', 'engine/expert', 'engine/runs']) {
      const found = await withProbe(folder, up, async (file) => ({ file, problems: problems(await check([file], { known, maxDepth: 1 })) }));
      expect(found.problems.some((p) => p.startsWith('services-below-fidelity: ') || p.startsWith('expert-below-eval: '))).toBe(true);
      expect(found.problems.every((p) => p.endsWith(' -> engine/fidelity/run.ts'))).toBe(true);
    }
    const down = "import { compareResults } from '../eval/compare.js';\nimport type { Policy } from '../policy/policy.js';\nexport const probe: [typeof compareResults, Policy | null] = [compareResults, null];\n";
    expect(await withProbe('engine/fidelity', down, async (file) => problems(await check([file], { known, maxDepth: 1 })))).toEqual([]);
    const target = "import type { ExecutionTarget } from '../targets/target.js';\nexport type Probe = ExecutionTarget;\n";
    const found = await withProbe('engine/fidelity', target, async (file) => ({ file, problems: problems(await check([file], { known, maxDepth: 1 })) }));
    expect(found.problems).toEqual([`services-below-targets: ${found.file} -> engine/targets/target.ts`]);
  });

  it('fail on a libero -> sim import', async () => {
    const probe = "import type { EmbeddedPhysics } from '../sim/embedded/physics.js';\nexport type Probe = EmbeddedPhysics;\n";
    const found = await withProbe('engine/libero', probe, async (file) => ({ file, problems: problems(await check([file], { known: await knownViolations(), maxDepth: 1 })) }));
    expect(found.problems).toContain(`libero-not-sim: ${found.file} -> engine/sim/embedded/physics.ts`);
  });
});
