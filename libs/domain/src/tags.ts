import { KmsError, KmsErrors } from './errors';
import type { Tag } from './events';
import { isWellFormedText, UNICODE_TEXT_RULE } from './unicode-text';

/** AWS allows 50 user tags per key (kms-operations-reference.md §10). */
export const MAX_TAGS_PER_KEY = 50;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

const tagException = (message: string) => new KmsError('TagException', message);

/** Coral's constraint template with the 1-based member path AWS uses (`tags.1.member.tagKey`). */
const lengthError = (value: string, path: string, rule: string) =>
  KmsErrors.validation(`1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must have length ${rule}`);

/**
 * Tag text must be Unicode (isWellFormedText). AWS's answer is UNCONFIRMED; this is Coral's template without the
 * value, which cannot be shown as text.
 */
const notText = (path: string) =>
  KmsErrors.validation(`1 validation error detected: Value at '${path}' failed to satisfy constraint: ${UNICODE_TEXT_RULE}`);

/** Tag lengths are request validation: AWS checks them before it looks at the key (§10.2 templates). */
export function checkTagLengths(tags: Tag[]): void {
  tags.forEach((tag, i) => {
    if (tag.TagKey.length < 1) throw lengthError(tag.TagKey, `tags.${i + 1}.member.tagKey`, 'greater than or equal to 1');
    if (tag.TagKey.length > MAX_TAG_KEY) throw lengthError(tag.TagKey, `tags.${i + 1}.member.tagKey`, `less than or equal to ${MAX_TAG_KEY}`);
    if (tag.TagValue.length > MAX_TAG_VALUE) throw lengthError(tag.TagValue, `tags.${i + 1}.member.tagValue`, `less than or equal to ${MAX_TAG_VALUE}`);
    if (!isWellFormedText(tag.TagKey)) throw notText(`tags.${i + 1}.member.tagKey`);
    if (!isWellFormedText(tag.TagValue)) throw notText(`tags.${i + 1}.member.tagValue`);
  });
}

/**
 * The tag rules of CreateKey and TagResource (§10.2, SNAP texts): lengths, then reserved `aws:` keys in any
 * case, duplicates within the request, and the per-key total.
 */
export function checkTags(tags: Tag[], existing: Tag[] = []): void {
  checkTagLengths(tags);
  if (tags.some((t) => isReserved(t.TagKey))) throw tagException('Tags beginning with aws: are reserved');
  if (new Set(tags.map((t) => t.TagKey)).size !== tags.length) throw tagException('Duplicate tag keys');
  const keys = new Set([...existing.map((t) => t.TagKey), ...tags.map((t) => t.TagKey)]);
  // UNCONFIRMED for TagResource pushing the total over 50: the reference recommends CreateKey's TagException.
  if (keys.size > MAX_TAGS_PER_KEY) throw tagException('Too many tags');
}

/** UntagResource's key lengths: request validation, checked before the key. */
export function checkTagKeyLengths(tagKeys: string[]): void {
  tagKeys.forEach((key, i) => {
    if (key.length < 1) throw lengthError(key, `tagKeys.${i + 1}.member`, 'greater than or equal to 1');
    if (key.length > MAX_TAG_KEY) throw lengthError(key, `tagKeys.${i + 1}.member`, `less than or equal to ${MAX_TAG_KEY}`);
  });
}

/** UntagResource: removing a key that is not there is fine; naming a reserved key is refused (recommended, UNCONFIRMED). */
export function checkTagKeysToRemove(tagKeys: string[]): void {
  checkTagKeyLengths(tagKeys);
  if (tagKeys.some(isReserved)) throw tagException('Tags beginning with aws: are reserved');
}

const isReserved = (key: string): boolean => key.toLowerCase().startsWith('aws:');
