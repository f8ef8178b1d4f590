/**
 * Canonical bytes of a KMS encryption context, used as AAD: entries sorted by key, each key and value
 * length-prefixed, so the context must match exactly (case-sensitive) while the order it was sent in does not.
 */
export function canonicalEncryptionContext(context: Record<string, string>): Buffer {
  const entries = Object.entries(context);
  // Most calls carry no context: its encoding is the count alone.
  if (entries.length === 0) return uint32(0);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: Buffer[] = [uint32(entries.length)];
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new TypeError('Encryption context values must be strings.');
    parts.push(lengthPrefixed(key), lengthPrefixed(value));
  }
  return Buffer.concat(parts);
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
