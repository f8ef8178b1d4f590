/**
 * Bounds on the shape of a JSON request body, checked on the raw text before JSON.parse, so that no parser,
 * validator or domain code ever walks a hostile structure.
 *
 * - Depth: the deepest KMS request shape is 3 levels ({"Tags": [{"TagKey": ...}]}; REST bodies are no deeper), so
 *   10 leaves room for unknown members (ignored, as AWS does) while a document nested 100,000 deep is refused
 *   after reading 11 brackets.
 * - Entries: the longest KMS list is 50 (Tags), the domain's own rules refuse more; a generic cap of 1000 entries
 *   per array or object bounds every member (GrantTokens, TagKeys, EncryptionContext, unknown members) before
 *   class-validator or the domain iterate over it.
 */
export const MAX_JSON_DEPTH = 10;
export const MAX_JSON_ENTRIES = 1000;

export type JsonStructureViolation =
  | { kind: 'depth'; maxDepth: number }
  | { kind: 'entries'; maxEntries: number; container: 'array' | 'object'; path: string[] };

interface Container {
  array: boolean;
  entries: number;
  /** Raw (still escaped) text of the current member name, for objects. */
  keyStart: number;
  keyEnd: number;
  expectingKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Where the string starting at `start` ends: its closing quote, or the text's length if it is never closed. A quote
 * closes the string unless an odd run of backslashes precedes it. Found with indexOf rather than char by char: most
 * of a request's text is one long base64 string.
 */
function stringEnd(text: string, start: number): number {
  for (let quote = text.indexOf('"', start); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (quote - 1 - backslashes >= start && text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return text.length;
}

/**
 * One linear pass over the text, counting brackets and commas outside strings: returns the first violation, or
 * undefined. It does not validate the JSON (JSON.parse does that afterwards); on malformed text it only has to stay
 * linear and never throw.
 */
export function findJsonStructureViolation(text: string, maxDepth = MAX_JSON_DEPTH, maxEntries = MAX_JSON_ENTRIES): JsonStructureViolation | undefined {
  const stack: Container[] = [];
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      i = stringEnd(text, start);
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectingKey) {
        top.keyStart = start;
        top.keyEnd = Math.min(i, length);
        top.expectingKey = false;
      }
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) return { kind: 'depth', maxDepth };
      const top = stack[stack.length - 1];
      if (top && top.entries === 0) top.entries = 1;
      stack.push({ array: c === OPEN_ARRAY, entries: 0, keyStart: 0, keyEnd: 0, expectingKey: c === OPEN_OBJECT });
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      continue;
    }
    const top = stack[stack.length - 1];
    if (!top) continue;
    if (c === COMMA) {
      // A comma opens one more entry (the first entry is counted when its first token is seen).
      top.entries = Math.max(top.entries, 1) + 1;
      if (!top.array) top.expectingKey = true;
      if (top.entries > maxEntries) return { kind: 'entries', maxEntries, container: top.array ? 'array' : 'object', path: pathOf(text, stack) };
    } else if (top.entries === 0 && !WHITESPACE.has(c)) {
      top.entries = 1;
    }
  }
  return undefined;
}

/** The member names leading to the innermost container (array elements by their 1-based position, as AWS does). */
function pathOf(text: string, stack: Container[]): string[] {
  const path: string[] = [];
  for (let depth = 0; depth < stack.length - 1; depth++) {
    const container = stack[depth];
    path.push(container.array ? String(container.entries) : memberName(text.slice(container.keyStart, container.keyEnd)));
  }
  return path;
}

function memberName(raw: string): string {
  const shortened = raw.length > 64 ? raw.slice(0, 64) : raw;
  try {
    return JSON.parse(`"${shortened}"`) as string;
  } catch {
    return shortened;
  }
}
