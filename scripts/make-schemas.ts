// Writes the published JSON Schemas in docs/ from the zod schemas (npx tsx scripts/make-schemas.ts).
// test/engine/bundle/manifest-schema.test.ts and test/engine/runs/results-schema.test.ts fail when
// a committed schema is out of date.
import { writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../engine/bundle/manifest-schema.js';
import { resultsJsonSchema } from '../engine/runs/results-schema.js';

writeFileSync('docs/bundle.schema.json', JSON.stringify(manifestJsonSchema(), null, 2) + '\n');
console.log('wrote docs/bundle.schema.json');
writeFileSync('docs/results.schema.json', JSON.stringify(resultsJsonSchema(), null, 2) + '\n');
console.log('wrote docs/results.schema.json');
