import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { compact, fromBlob, toBlob } from '../../aws-json/wire';
import { ProblemResource } from '../dto/problem.dto';
import { UsedKeyResource } from '../dto/crypto-resources.dto';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-types';
import { ApiProblems } from '../openapi/api-decorators';
import { keyIdFromArn } from './key-representation';

/** Shared by the cryptographic-operation controllers: base64 in and out, the key that did the work, their errors. */

/** Bodies are validated as standard padded base64 before they get here: the AWS endpoint's blob encoding. */
export { compact, fromBlob as fromBase64, toBlob as toBase64 };

/** The query results name keys by ARN; resources carry the id too. */
export const usedKey = (keyArn: string): UsedKeyResource => ({ keyId: keyIdFromArn(keyArn), keyArn });

/** DER SubjectPublicKeyInfo as PEM (RFC 7468 §13): base64 in 64-character lines. */
export const toPublicKeyPem = (der: Buffer): string =>
  `-----BEGIN PUBLIC KEY-----\n${toBlob(der).match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;


const REQUEST_ID = { 'X-Request-Id': { description: 'The id the request is recorded under in the key usage log.', schema: { type: 'string' } } };

const UNUSABLE =
  'Well formed, but unusable with this key: InvalidKeyUsageException (the key usage or spec does not allow the operation, or the algorithm is not one of the key\'s), ' +
  'IncorrectKeyException (the ciphertext is under another key), InvalidCiphertextException (the ciphertext, context or algorithm does not match), ' +
  'KMSInvalidSignatureException, KMSInvalidMacException, UnsupportedOperationException (e.g. the public key of a symmetric key).';

/**
 * The problem responses of a use of a key: the shared descriptions (ApiProblems), except 422, whose causes for
 * the cryptographic operations are not those of the key-management routes.
 */
export const ApiUseProblems = (...statuses: number[]) =>
  applyDecorators(
    ApiProblems(...statuses.filter((s) => s !== 422)),
    ...(statuses.includes(422)
      ? [ApiResponse({ status: 422, description: UNUSABLE, headers: REQUEST_ID, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemResource) } } } })]
      : []),
  );
