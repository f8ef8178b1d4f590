import { AwsProtocolError } from '../../aws-json/aws-protocol-error';

/**
 * Key responses carry the key stream's revision as a strong entity tag (`"3"`); mutations take it back in
 * If-Match and become RequestContext.expectedRevision. Revisions are 0-based stream revisions.
 */
export const toETag = (revision: number): string => `"${revision}"`;

const SINGLE_STRONG_TAG = /^"(0|[1-9]\d{0,14})"$/;

/**
 * The revision named by an If-Match header, or undefined when there is none (or `*`, which any existing key
 * matches). A list of tags, a weak tag or anything that is not one of our revisions is refused: the command
 * can only be checked against one revision.
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header.trim();
  if (value === '*') return undefined;
  const match = SINGLE_STRONG_TAG.exec(value);
  if (!match) {
    throw new AwsProtocolError(
      'ValidationException',
      `If-Match must be a single entity tag as returned in ETag, such as "3", or *; got ${JSON.stringify(value)}.`,
    );
  }
  return Number(match[1]);
}
