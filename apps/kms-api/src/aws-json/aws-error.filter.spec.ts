import type { ArgumentsHost } from '@nestjs/common';
import { DeadlineExceededError } from '@eventstore/db-client';
import { KmsError } from '@keyledger/domain';
import { StoreUnavailableError } from '@keyledger/event-store';
import { AwsErrorFilter } from './aws-error.filter';

/** Runs the filter on `error` and returns what it wrote. */
function answer(error: unknown): { status: number; headers: Record<string, string>; body: Record<string, string> } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: {} as Record<string, string> };
  const response = {
    locals: {} as Record<string, unknown>,
    status: (status: number) => ((sent.status = status), response),
    type: () => response,
    setHeader: (name: string, value: string) => ((sent.headers[name] = value), response),
    send: (body: string) => ((sent.body = JSON.parse(body)), response),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ method: 'POST', path: '/', requestId: 'r-1' }) }) };
  new AwsErrorFilter().catch(error, host as unknown as ArgumentsHost);
  return sent;
}

describe('AwsErrorFilter: an unavailable event store', () => {
  it.each([
    ['unreachable', new StoreUnavailableError('unreachable', 'EventStoreDB is unreachable (readStream: 14 UNAVAILABLE: connect ECONNREFUSED 10.1.2.3:2113)'), 'the event store could not be reached'],
    ['timeout (an append whose outcome is unknown)', new StoreUnavailableError('timeout', 'no answer', { outcomeUnknown: true }), 'the event store did not answer in time'],
    ['busy (SQLite)', new StoreUnavailableError('busy', 'SQLITE_BUSY: database is locked'), 'the event store is busy'],
    ["an EventStoreDB client error that reached the filter unconverted (the vault's client)", new DeadlineExceededError(Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'Deadline exceeded' }) as never), 'the event store did not answer in time'],
  ])('%s is DependencyTimeoutException, a 500 server fault with a clear message', (_case, error, detail) => {
    const { status, headers, body } = answer(error);
    expect(status).toBe(500);
    expect(headers['X-Amzn-ErrorType']).toBe('DependencyTimeoutException');
    expect(body).toEqual({ __type: 'DependencyTimeoutException', message: `The system timed out while trying to fulfill the request: ${detail}. The request can be retried.` });
  });

  it('is a server fault also when raised as a KmsError', () => {
    expect(answer(new KmsError('DependencyTimeoutException', 'slow'))).toMatchObject({ status: 500, body: { __type: 'DependencyTimeoutException', message: 'slow' } });
  });

  it('leaves other errors alone', () => {
    expect(answer(new Error('boom'))).toMatchObject({ status: 500, body: { __type: 'KMSInternalException' } });
    expect(answer(new KmsError('NotFoundException', 'gone'))).toMatchObject({ status: 400, body: { __type: 'NotFoundException' } });
  });
});
