import { describe, expect, it } from 'vitest';
import { jsonErrorLocation, jsonErrorOffset, notValidJson } from '../../../engine/util/json-location.js';

describe('jsonErrorLocation', () => {
  it('finds nothing wrong in JSON that parses', () => {
    for (const text of ['0', '-1.5e+3', '"a\\u00e9\\n"', 'true', ' null ', '[]', '{}', '[1, [2, {"a": [false]}], "x"]', '{"a": {"b": []}, "c": -0.0}', '[' + '['.repeat(5000) + ']'.repeat(5000) + ']']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorOffset(text), text.slice(0, 40)).toBeNull();
    }
  });

  it('names the line and column of the first character that is not JSON', () => {
    expect(jsonErrorLocation('root:x:0:0:root:/root:/bin/bash\n')).toEqual({ line: 1, column: 1 });
    expect(jsonErrorLocation('{"formatVersion": 1,')).toEqual({ line: 1, column: 21 });
    expect(jsonErrorLocation('{\n  "a": 1,\n  b: 2\n}')).toEqual({ line: 3, column: 3 });
    expect(jsonErrorLocation('[1, 2,]')).toEqual({ line: 1, column: 7 });
    expect(jsonErrorLocation('{"a": tru}')).toEqual({ line: 1, column: 10 });
    expect(jsonErrorLocation('{"a": 01}')).toEqual({ line: 1, column: 8 });
    expect(jsonErrorLocation('"tab\there"')).toEqual({ line: 1, column: 5 });
    expect(jsonErrorLocation('"\\x"')).toEqual({ line: 1, column: 3 });
    expect(jsonErrorLocation('{} {}')).toEqual({ line: 1, column: 4 });
    expect(jsonErrorLocation('')).toEqual({ line: 1, column: 1 });
    expect(jsonErrorLocation('\uFEFF{}')).toEqual({ line: 1, column: 1 });
  });

  it('agrees with V8 where its message gives a place', () => {
    for (const text of ['{"a" 1}', '{"a": 1 "b": 2}', '[1 2]', '{"a": 1}}', '{\n"a":\n[1,\n2\n}']) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (error) {
        message = (error as Error).message;
      }
      const v8 = /\(line (\d+) column (\d+)\)/.exec(message);
      if (v8) expect(jsonErrorLocation(text), text).toEqual({ line: Number(v8[1]), column: Number(v8[2]) });
    }
  });

  it('says where, never what', () => {
    expect(notValidJson('SECRET-CONTENT')).toBe('not valid JSON at line 1 column 1');
  });
});
