import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { resultsJsonSchema, summarize } from '../../../engine/runs/results-schema.js';
import { chunks, config, episode } from './fixtures.js';

const published = JSON.parse(readFileSync('docs/results.schema.json', 'utf8')) as object;

describe('results.json JSON Schema (docs/results.schema.json)', () => {
  it('is the one generated from the zod schema (run: npx tsx scripts/make-schemas.ts)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(resultsJsonSchema())));
  });

  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published);
  const results = () =>
    JSON.parse(
      JSON.stringify(
        summarize(config(), [episode(0, 0, 'success', { trajectory: 'task00-trial000.json' }), episode(0, 1, 'error'), episode(1, 0, 'failure', { chunks: chunks([0, 2, 1]) })], {
          id: '20261125-105430-abcdef',
          status: 'completed',
          createdAt: '2026-11-25T10:54:30.000Z',
          finishedAt: '2026-11-25T11:00:00.000Z',
        }),
      ),
    ) as Record<string, unknown> & { config: Record<string, unknown>; episodes: Record<string, unknown>[] };

  it('accepts a real results file, with null correlations', () => {
    const r = results();
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    const allSuccess = JSON.parse(JSON.stringify(summarize(config(), [episode(0, 0, 'success')], null))) as unknown;
    expect(validate(allSuccess), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a missing field, a wrong type, an unknown key and a wrong version', () => {
    const missing = results();
    delete missing.total;
    expect(validate(missing)).toBe(false);
    const wrongType = results();
    wrongType.episodes[0]!.steps = 'many';
    expect(validate(wrongType)).toBe(false);
    const extra = results();
    extra.config.sead = 1;
    expect(validate(extra)).toBe(false);
    const version = results();
    version.formatVersion = 2;
    expect(validate(version)).toBe(false);
  });
});
