import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AuditLogUnavailableError, StaleRevisionError } from '@keyledger/application';
import { KmsError, KmsErrorType } from '@keyledger/domain';
import { StoreUnavailableError } from '@keyledger/event-store';
import { UnavailableError } from '@eventstore/db-client';
import { AwsProtocolError } from '../../aws-json/aws-protocol-error';
import { toProblem } from './problem-mapping';
import { RestHttpError } from './rest-http-error';

const request = { method: 'POST', path: '/v1/keys/k/material', requestId: 'req-1' };

describe('toProblem: the REST error mapping', () => {
  // Every KmsErrorType (libs/domain/src/errors.ts), with the status docs/rest-api.md promises.
  const domainErrors: Array<[KmsErrorType, number, string]> = [
    ['ValidationException', 400, 'validation-failed'],
    ['InvalidArnException', 400, 'invalid-arn'],
    ['InvalidMarkerException', 400, 'invalid-marker'],
    ['TagException', 400, 'invalid-tag'],
    ['MalformedPolicyDocumentException', 400, 'malformed-policy'],
    ['NotAuthorizedException', 403, 'not-authorized'],
    ['AccessDeniedException', 403, 'access-denied'],
    ['NotFoundException', 404, 'not-found'],
    ['KMSInvalidStateException', 409, 'invalid-key-state'],
    ['DisabledException', 409, 'key-disabled'],
    ['ConflictException', 409, 'conflict'],
    ['AlreadyExistsException', 409, 'already-exists'],
    ['LimitExceededException', 409, 'limit-exceeded'],
    ['IncorrectKeyMaterialException', 422, 'incorrect-key-material'],
    ['InvalidImportTokenException', 422, 'invalid-import-token'],
    ['ExpiredImportTokenException', 422, 'expired-import-token'],
    ['InvalidCiphertextException', 422, 'invalid-ciphertext'],
    ['IncorrectKeyException', 422, 'incorrect-key'],
    ['InvalidKeyUsageException', 422, 'invalid-key-usage'],
    ['KMSInvalidSignatureException', 422, 'invalid-signature'],
    ['KMSInvalidMacException', 422, 'invalid-mac'],
    ['UnsupportedOperationException', 422, 'unsupported-operation'],
  ];

  it.each(domainErrors)('%s is %d %s, with the AWS name and message', (type, status, slug) => {
    const { body, headers, unexpected } = toProblem(new KmsError(type, 'what happened'), request);
    expect(body).toEqual({
      type: `urn:keyledger:problem:${slug}`,
      title: expect.any(String),
      status,
      detail: 'what happened',
      instance: '/v1/keys/k/material',
      awsErrorType: type,
      requestId: 'req-1',
    });
    expect({ headers, unexpected }).toEqual({ headers: {}, unexpected: false });
  });

  it('KMSInternalException is a 500 that does not repeat its message', () => {
    const { body, unexpected } = toProblem(new KmsError('KMSInternalException', 'vault file /data/vault.sqlite is locked'), request);
    expect(body).toMatchObject({ status: 500, type: 'urn:keyledger:problem:internal-error', awsErrorType: 'KMSInternalException' });
    expect(body.detail).not.toMatch(/vault/);
    expect(unexpected).toBe(true);
  });

  it('protocol errors shared with the AWS endpoint keep their names', () => {
    expect(toProblem(new AwsProtocolError('SerializationException', "Member 'x' must be a string."), request).body).toMatchObject({ status: 400, type: 'urn:keyledger:problem:malformed-request', awsErrorType: 'SerializationException' });
    expect(toProblem(new AwsProtocolError('RequestEntityTooLargeException', 'too large', 413), request).body).toMatchObject({ status: 413, type: 'urn:keyledger:problem:request-too-large' });
    // An AWS protocol error without a REST entry keeps the status it was raised with.
    expect(toProblem(new AwsProtocolError('SomethingNewException', 'new', 400), request).body).toMatchObject({ status: 400, awsErrorType: 'SomethingNewException' });
  });

  it('a stale revision is 412 with both revisions and the current one as ETag', () => {
    const { body, headers } = toProblem(new StaleRevisionError('k', 2, 5), request);
    expect(body).toMatchObject({ status: 412, type: 'urn:keyledger:problem:precondition-failed', expectedRevision: 2, currentRevision: 5, detail: 'Key k is at revision 5, not 2.' });
    expect(body.awsErrorType).toBeUndefined();
    expect(headers).toEqual({ ETag: '"5"' });
  });

  it('REST-only refusals and the framework: 415, 503, unknown routes, undecodable paths', () => {
    expect(toProblem(new RestHttpError(415, 'unsupported-media-type', 'Unsupported media type', 'not json'), request).body).toMatchObject({ status: 415, detail: 'not json' });
    expect(toProblem(new AuditLogUnavailableError(), request).body).toMatchObject({ status: 503, type: 'urn:keyledger:problem:audit-log-unavailable' });
    expect(toProblem(new NotFoundException('Cannot POST /v1/keys/k/material'), request).body).toMatchObject({
      status: 404,
      type: 'urn:keyledger:problem:no-such-route',
      awsErrorType: 'UnknownOperationException',
      detail: 'No route for POST /v1/keys/k/material.',
    });
    expect(toProblem(new BadRequestException("Failed to decode param '%E0'"), request).body).toMatchObject({ status: 400, awsErrorType: 'SerializationException' });
  });

  it('an unavailable event store is a 503 dependency-unavailable problem with Retry-After, whatever the store', () => {
    for (const [error, reason] of [
      [new StoreUnavailableError('timeout', 'EventStoreDB did not answer appendToStream within 5000 ms at 10.0.0.7:2113', { outcomeUnknown: true }), 'timeout'],
      [new StoreUnavailableError('busy', 'The SQLite event store stayed locked'), 'busy'],
      // The EventStoreDB material vault's own client errors, unconverted.
      [new UnavailableError(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' }) as never), 'unreachable'],
    ] as const) {
      const { body, headers, unexpected } = toProblem(error, request);
      expect(body).toEqual({
        type: 'urn:keyledger:problem:dependency-unavailable',
        title: 'The event store is unavailable',
        status: 503,
        detail: expect.stringMatching(/^The system timed out while trying to fulfill the request: the event store .+\. The request can be retried\.$/),
        instance: '/v1/keys/k/material',
        awsErrorType: 'DependencyTimeoutException',
        requestId: 'req-1',
        reason,
      });
      // Nothing of the store's own message (addresses, internals) reaches the client.
      expect(body.detail).not.toMatch(/10\.0\.0\.7|SQLite|UNAVAILABLE/);
      expect({ headers, unexpected }).toEqual({ headers: { 'Retry-After': '1' }, unexpected: false });
    }
    expect(toProblem(new KmsError('DependencyTimeoutException', 'slow'), request)).toMatchObject({ body: { status: 503 }, headers: { 'Retry-After': '1' } });
  });

  it('anything unexpected is a 500 that says nothing about it', () => {
    for (const error of [new TypeError('secret internals'), 'a string', undefined, { status: 400 }]) {
      const { body, unexpected } = toProblem(error, request);
      expect(body).toMatchObject({ status: 500, detail: 'The request could not be completed because of an internal error.' });
      expect(unexpected).toBe(true);
    }
  });
});
