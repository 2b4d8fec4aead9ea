import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from '../../../engine/bundle/manifest-schema.js';
import { buildSyntheticBundle } from '../../../engine/bundle/synthetic.js';

const published = JSON.parse(readFileSync('docs/bundle.schema.json', 'utf8')) as object;

describe('bundle.json JSON Schema (docs/bundle.schema.json)', () => {
  it('is the one generated from the zod schema (run: npx tsx scripts/make-schemas.ts)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(manifestJsonSchema())));
  });

  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published);
  const manifest = () => JSON.parse(buildSyntheticBundle('tiny', 1).manifestJson) as Record<string, Record<string, unknown>>;

  it('accepts a real manifest, and a vision one (camera render sizes, instruction tokens)', () => {
    expect(validate(manifest()), JSON.stringify(validate.errors)).toBe(true);
    const vision = JSON.parse(buildSyntheticBundle('tiny-vision', 1).manifestJson) as object;
    expect(validate(vision), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a missing field, a wrong type and an unknown key', () => {
    const missing = manifest();
    delete missing.rfsq!.layers;
    expect(validate(missing)).toBe(false);
    const wrongType = manifest();
    wrongType.rfsq!.levels = 'seven';
    expect(validate(wrongType)).toBe(false);
    const extra = manifest();
    extra.rfsq!.levelz = 7;
    expect(validate(extra)).toBe(false);
  });
});
