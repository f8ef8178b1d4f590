/** AWS JSON 1.1 encodings (kms-api-reference.md §1.2): blobs are base64, timestamps epoch seconds. */
export const fromBlob = (base64: string): Buffer => Buffer.from(base64, 'base64');
export const toBlob = (bytes: Buffer): string => bytes.toString('base64');
export const fromTimestamp = (epochSeconds: number): number => Math.round(epochSeconds * 1000);
export const toTimestamp = (epochMillis: number): number => epochMillis / 1000;

/** Drops undefined members: AWS and REST responses omit unset members rather than sending null. */
export function compact<T extends object>(response: T): T {
  // A loop rather than fromEntries(entries().filter()): every AWS JSON answer passes here, and the arrays cost.
  const members: Record<string, unknown> = {};
  for (const name of Object.keys(response)) {
    const value = (response as Record<string, unknown>)[name];
    if (value !== undefined) members[name] = value;
  }
  return members as T;
}
