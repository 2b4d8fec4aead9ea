/**
 * Where text stops being JSON, as "line L column C", for messages about a file that does not parse.
 * JSON.parse's own message quotes the text around the problem ("root:x:0:0"... is not valid JSON),
 * and a message must never echo a file's contents; so this scans the text itself (iteratively, so
 * deep nesting cannot overflow the stack) and names only the place.
 */
export function jsonErrorLocation(text: string): { line: number; column: number } | null {
  const offset = jsonErrorOffset(text);
  if (offset === null) return null;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** "not valid JSON at line L column C" (no part of the text). */
export function notValidJson(text: string): string {
  const at = jsonErrorLocation(text);
  return at ? `not valid JSON at line ${at.line} column ${at.column}` : 'not valid JSON';
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The offset of the first character that is not JSON (text.length for text that ends too early), or null for valid JSON. */
export function jsonErrorOffset(text: string): number | null {
  const n = text.length;
  let i = 0;
  const stack: number[] = []; // 123 `{` or 91 `[`
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      i++;
    }
  };
  /** Scans a string at i (a `"`); the error offset, or null when it ends well. */
  const scanString = (): number | null => {
    if (text.charCodeAt(i) !== 34) return i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c < 0x20) return i;
      if (c === 92) {
        const e = text[i + 1];
        if (e === undefined) return n;
        if ('"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
        else return i + 1;
      } else i++;
    }
    return n;
  };
  /** Scans an object key and its colon; the error offset, or null. */
  const scanKey = (): number | null => {
    skipSpace();
    if (i >= n) return n;
    const bad = scanString();
    if (bad !== null) return bad;
    skipSpace();
    if (i >= n) return n;
    if (text.charCodeAt(i) !== 58) return i;
    i++;
    return null;
  };

  for (;;) {
    // A value at i.
    skipSpace();
    if (i >= n) return n;
    const c = text[i]!;
    let opened = false;
    if (c === '{' || c === '[') {
      i++;
      skipSpace();
      if (i >= n) return n;
      if (text[i] === (c === '{' ? '}' : ']')) i++;
      else {
        stack.push(c.charCodeAt(0));
        if (c === '{') {
          const bad = scanKey();
          if (bad !== null) return bad;
        }
        opened = true;
      }
    } else if (c === '"') {
      const bad = scanString();
      if (bad !== null) return bad;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return i >= n ? n : i;
    } else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return i;
      i = NUMBER.lastIndex;
    }
    if (opened) continue;
    // After a value: close what it ends, or go on to the next element.
    for (;;) {
      skipSpace();
      const top = stack.at(-1);
      if (top === undefined) return i < n ? i : null;
      if (i >= n) return n;
      const d = text.charCodeAt(i);
      if (d === 44) {
        i++;
        if (top === 123) {
          const bad = scanKey();
          if (bad !== null) return bad;
        }
        break;
      }
      if ((top === 123 && d === 125) || (top === 91 && d === 93)) {
        stack.pop();
        i++;
        continue;
      }
      return i;
    }
  }
}
