import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

describe('ListKeys and DescribeKey from the read model', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  it('pages with Limit and Marker in creation order, and sees every key right after it is created', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: i % 2 ? 'AWS_KMS' : 'EXTERNAL' }));
      created.push(KeyMetadata!.KeyId!);
      // Read-your-writes: the projection already includes the key when CreateKey answers.
      expect((await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).KeyMetadata!.KeyId).toBe(KeyMetadata!.KeyId);
    }
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      pages++;
      expect(page.Keys!.length).toBeLessThanOrEqual(2);
      for (const k of page.Keys!) {
        expect(k.KeyArn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${k.KeyId}`);
        seen.push(k.KeyId!);
      }
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      marker = page.NextMarker;
    } while (marker);
    expect(seen).toEqual(created);
    expect(pages).toBe(3);
  });

  it('scopes keys by region and account from the request credentials', async () => {
    const { KeyMetadata } = await kl.client({ region: 'eu-west-1' }).send(new CreateKeyCommand({}));
    expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:eu-west-1:000000000000:key/${KeyMetadata!.KeyId}`);
    const inUsEast = await kms.send(new ListKeysCommand({}));
    expect(inUsEast.Keys!.map((k) => k.KeyId)).not.toContain(KeyMetadata!.KeyId);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).rejects.toMatchObject({ name: 'NotFoundException' });

    const other = kl.client({ accessKeyId: '222222222222' });
    const { KeyMetadata: foreign } = await other.send(new CreateKeyCommand({}));
    expect(foreign!.AWSAccountId).toBe('222222222222');
    expect((await kms.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).not.toContain(foreign!.KeyId);
  });

  it('refuses a marker it did not issue', async () => {
    await expect(kms.send(new ListKeysCommand({ Marker: 'not-a-marker' }))).rejects.toMatchObject({ name: 'InvalidMarkerException' });
  });
});
