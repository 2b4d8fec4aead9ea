import { describe, expect, it } from 'vitest';
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
});
