import type { RequestContext } from '../request-context';

/** A caller for unit tests: the default account and region, principal `test` (override what a test is about). */
export const testRequestContext = (overrides: Partial<RequestContext> = {}): RequestContext => ({
  accountId: '000000000000',
  region: 'us-east-1',
  principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test' },
  requestId: 'req-1',
  correlationId: 'req-1',
  operation: 'Test',
  ...overrides,
});
