import { KmsError } from './errors';

/** The only key policy name KMS has. */
export const DEFAULT_POLICY_NAME = 'default';
/** The model's limit; AWS answers LimitExceededException beyond it (kms-operations-reference.md §11.1). */
export const MAX_POLICY_LENGTH = 131072;

/**
 * The policy AWS gives a key created without one, exactly as AWS stores and returns it (Jackson's pretty
 * printer: `" : "` and 2-space indent; Sid as recorded against AWS, §11.1).
 */
export function defaultKeyPolicy(accountId: string, partition = 'aws'): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:${partition}:iam::${accountId}:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
}

/** A non-default PolicyName: AWS's answer is UNCONFIRMED; emulators say NotFoundException `No such policy exists`. */
export function checkPolicyName(policyName: string | undefined): void {
  if (policyName !== undefined && policyName !== DEFAULT_POLICY_NAME) throw new KmsError('NotFoundException', 'No such policy exists');
}

/**
 * Policies are stored and returned, never evaluated. They must still be a JSON object with a Statement, so a
 * client that sent something else learns it now. The malformed-document text is ours (AWS's varies by fault).
 */
export function checkPolicyDocument(policy: string): void {
  if (policy.length > MAX_POLICY_LENGTH) {
    throw new KmsError('LimitExceededException', `The key policy is ${policy.length} characters long; the limit is ${MAX_POLICY_LENGTH}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new KmsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('Statement' in parsed)) {
    throw new KmsError('MalformedPolicyDocumentException', 'The key policy must be a JSON object with a Statement.');
  }
}
