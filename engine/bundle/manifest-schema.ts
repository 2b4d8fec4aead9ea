import { z } from 'zod';
import { Manifest } from './manifest.js';

/** bundle.json's JSON Schema, generated from the zod schema that the loader enforces. */
export function manifestJsonSchema(): unknown {
  return {
    $id: 'https://rsd-workbench.dev/schemas/bundle-v1.json',
    title: 'RSD Workbench model bundle manifest (bundle.json), format version 1',
    ...(z.toJSONSchema(Manifest, { io: 'input', unrepresentable: 'any' }) as object),
  };
}
