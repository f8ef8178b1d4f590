import { PutKeyPolicyCommand, TagResourceCommand, UntagResourceCommand } from '../commands';
import { KeyEvent, KeyEventTypes } from '../events';
import { checkPolicyDocument, checkPolicyName, DEFAULT_POLICY_NAME } from '../key-policy';
import { KeyState } from '../key-state';
import { checkTagKeyLengths, checkTagKeysToRemove, checkTagLengths, checkTags } from '../tags';
import { EpochMillis } from '../time';
import { requireKeyInState } from './guards';

export function decideTagResource(command: TagResourceCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  checkTagLengths(command.tags);
  requireKeyInState(state, command.keyArn, 'TagResource', now);
  checkTags(command.tags, state.tags);
  // Re-tagging with identical values changes nothing.
  const current = state.tags ?? [];
  const changed = command.tags.filter((t) => !current.some((c) => c.TagKey === t.TagKey && c.TagValue === t.TagValue));
  return changed.length === 0 ? [] : [{ type: KeyEventTypes.KeyTagged, data: { tags: changed } }];
}

/** Removing a tag the key does not have is silently fine (AWS), and records nothing. */
export function decideUntagResource(command: UntagResourceCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  checkTagKeyLengths(command.tagKeys);
  requireKeyInState(state, command.keyArn, 'UntagResource', now);
  checkTagKeysToRemove(command.tagKeys);
  const present = [...new Set(command.tagKeys)].filter((k) => (state.tags ?? []).some((t) => t.TagKey === k));
  return present.length === 0 ? [] : [{ type: KeyEventTypes.KeyUntagged, data: { tagKeys: present } }];
}

/** Policies are stored and returned, not evaluated (README). Every PutKeyPolicy is recorded: it is a security change. */
export function decidePutKeyPolicy(command: PutKeyPolicyCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  requireKeyInState(state, command.keyArn, 'PutKeyPolicy', now);
  checkPolicyName(command.policyName);
  checkPolicyDocument(command.policy);
  return [{ type: KeyEventTypes.KeyPolicyPut, data: { policyName: DEFAULT_POLICY_NAME, policy: command.policy } }];
}
