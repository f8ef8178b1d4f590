/**
 * Compares two strings without an early exit, so the time taken does not reveal how long a common prefix
 * is. Used for key material ids (the same-material rule). Pure: the domain may not import node:crypto.
 */
export function constantTimeEquals(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i % (a.length || 1)) || 0) ^ (b.charCodeAt(i % (b.length || 1)) || 0);
  }
  return diff === 0;
}
