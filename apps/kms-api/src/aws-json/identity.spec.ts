import { resolveRequestContext } from './identity';

const options = { defaultAccountId: '000000000000', defaultRegion: 'us-east-1' };
const signed = (accessKeyId: string, region: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261122/${region}/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`,
});

describe('resolveRequestContext', () => {
  it('reads the access key and region from the SigV4 credential scope; `test` belongs to the default account', () => {
    expect(resolveRequestContext(signed('test', 'eu-west-1'), 'DescribeKey', 'r1', options)).toEqual({
      accountId: '000000000000',
      region: 'eu-west-1',
      principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test' },
      requestId: 'r1',
      correlationId: 'r1',
      operation: 'DescribeKey',
    });
  });

  it('treats a 12-digit access key id as its own account', () => {
    expect(resolveRequestContext(signed('111122223333', 'us-west-2'), 'CreateKey', 'r2', options)).toMatchObject({
      accountId: '111122223333',
      region: 'us-west-2',
      principal: { accessKeyId: '111122223333', accountId: '111122223333' },
    });
  });

  it('falls back to the defaults for unsigned requests and names the caller anonymous', () => {
    expect(resolveRequestContext({}, 'ListKeys', 'r3', options)).toMatchObject({
      accountId: '000000000000',
      region: 'us-east-1',
      principal: { accessKeyId: 'anonymous' },
    });
  });
});
