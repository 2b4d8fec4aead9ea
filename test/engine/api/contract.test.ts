import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { events, isEventType, isRequestType, requests } from '../../../engine/api/contract.js';
import { bridgeMethodName, EVENT_TYPES, REQUEST_TYPES } from '../../../engine/api/names.js';

describe('contract', () => {
  it('lists the same requests and events in names.ts (for the preload) as in the schemas', () => {
    expect([...REQUEST_TYPES].sort()).toEqual(Object.keys(requests).sort());
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(events).sort());
  });

  it('does not take prototype keys for request or event types', () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(isRequestType(name)).toBe(false);
      expect(isEventType(name)).toBe(false);
    }
  });

  it('gives each request a distinct preload method name', () => {
    const names = REQUEST_TYPES.map(bridgeMethodName);
    expect(names).toContain('systemInfo');
    expect(new Set(names).size).toBe(names.length);
    expect(bridgeMethodName('runs.export.json')).toBe('runsExportJson');
  });

  it('types every request and event: no part of a params, result or payload schema is unknown', () => {
    // z.unknown() and z.any() become `{}` in JSON Schema; list where they occur.
    const untyped = (schema: unknown, at: string): string[] => {
      if (typeof schema !== 'object' || schema === null) return [];
      const s = schema as Record<string, unknown>;
      if (Object.keys(s).length === 0) return [at];
      const out: string[] = [];
      for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...untyped(v, `${at}.${k}`));
      for (const key of ['items', 'additionalProperties', 'not'] as const) if (typeof s[key] === 'object') out.push(...untyped(s[key], `${at}[${key}]`));
      for (const key of ['prefixItems', 'anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((v, i) => out.push(...untyped(v, `${at}.${key}[${i}]`)));
      return out;
    };
    const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    const found = [
      ...Object.entries(requests).flatMap(([type, r]) => [...untyped(json(r.params), `${type} params`), ...untyped(json(r.result), `${type} result`)]),
      ...Object.entries(events).flatMap(([event, payload]) => untyped(json(payload), `${event} payload`)),
    ];
    expect(found).toEqual([]);
  });

  it('checks a comparison and a scene against their schemas (engine/api/schemas), not as anything', () => {
    expect(requests['runs.compare'].result.safeParse({ a: 'x', b: 'y', comparison: {} }).success).toBe(false);
    const geom = { body: 1, type: 'box', size: [1, 1, 1], pos: [0, 0, 0], quat: [1, 0, 0, 0], rgba: [1, 1, 1, 1] };
    expect(requests['runs.scene'].result.safeParse({ scene: { task: 't', bodies: ['a', 'b'], geoms: [geom], meshes: [] } }).success).toBe(true);
    expect(requests['runs.scene'].result.safeParse({ scene: { task: 't', bodies: ['a'], geoms: [geom], meshes: [] } }).success).toBe(false);
  });
});
