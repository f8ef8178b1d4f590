import { randomBytes } from 'node:crypto';
import { AwsProtocolError } from './aws-protocol-error';
import { isPaddedBase64, validateRequest } from './aws-validation';
import { DecryptRequest, EncryptRequest, ReEncryptRequest } from './dto/crypto.dto';
import { CreateKeyRequest, DescribeKeyRequest } from './dto/key.dto';

/** The pattern the blob check replaced, written out: whole groups of four, then optional `XX==` or `XXX=`. */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isPaddedBase64', () => {
  it('accepts exactly what the grouped base64 pattern accepts', () => {
    const corpus = ['', 'AA==', 'AAA=', 'AAAA', 'A===', '====', 'AA=', 'A', 'AAAAA', 'AA==AAAA', 'AAAA====', 'AB=C', '+/+/', '-_-_', 'AAA=\n', ' AAAA', 'AA==='];
    const alphabet = 'ABCXYZabcxyz0189+/=-_ \n.';
    for (let i = 0; i < 20000; i++) {
      const good = randomBytes(i % 40).toString('base64');
      corpus.push(good);
      // One to three characters replaced, inserted or removed anywhere, padding included.
      let mutated = good;
      for (let m = 0; m <= i % 3; m++) {
        const at = Math.floor(Math.random() * (mutated.length + 1));
        const char = alphabet[Math.floor(Math.random() * alphabet.length)];
        const how = Math.floor(Math.random() * 3);
        mutated = how === 0 ? mutated.slice(0, at) + char + mutated.slice(at + 1) : how === 1 ? mutated.slice(0, at) + char + mutated.slice(at) : mutated.slice(0, at) + mutated.slice(at + 1);
      }
      corpus.push(mutated);
    }
    const disagreements = corpus.filter((text) => isPaddedBase64(text) !== PADDED_BASE64.test(text));
    expect(disagreements).toEqual([]);
    expect(corpus.filter((text) => isPaddedBase64(text)).length).toBeGreaterThan(20000); // both verdicts are well represented
    expect(corpus.filter((text) => !isPaddedBase64(text)).length).toBeGreaterThan(5000);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 4, ['AAAA'], { toString: () => 'AAAA' }, Buffer.from('AAAA')]) expect(isPaddedBase64(value)).toBe(false);
  });
});

/** The AWS error validateRequest throws for `body`, or 'valid'. */
async function outcome(dtoClass: new () => object, body: Record<string, unknown>): Promise<string> {
  try {
    await validateRequest(dtoClass, body);
    return 'valid';
  } catch (error) {
    if (!(error instanceof AwsProtocolError)) throw error;
    return `${error.type}: ${error.message}`;
  }
}

describe('list members (GrantTokens, DryRunModifiers)', () => {
  const encrypt = (GrantTokens: unknown) => outcome(EncryptRequest, { KeyId: 'k', Plaintext: 'AAAA', GrantTokens });

  it('takes up to 10 grant tokens of 1..8192 characters', async () => {
    expect(await encrypt([])).toBe('valid');
    expect(await encrypt(Array.from({ length: 10 }, (_, i) => `token-${i}`))).toBe('valid');
    expect(await encrypt(['t'.repeat(8192)])).toBe('valid');
  });

  it('refuses an 11th grant token, an empty one and one over 8192 characters, naming the list or the member as AWS does', async () => {
    expect(await encrypt(Array.from({ length: 11 }, () => 't'))).toBe(
      "ValidationException: 1 validation error detected: Value '[list]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
    expect(await encrypt(['ok', ''])).toBe(
      "ValidationException: 1 validation error detected: Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const long = 'x'.repeat(8193);
    expect(await outcome(DescribeKeyRequest, { KeyId: 'k', GrantTokens: [long] })).toBe(
      `ValidationException: 1 validation error detected: Value '${long}' at 'grantTokens.1.member' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    );
  });

  it('refuses a DryRunModifiers value outside its enum', async () => {
    expect(await outcome(DecryptRequest, { CiphertextBlob: 'AAAA', DryRunModifiers: ['IGNORE_CIPHERTEXT', 'BOGUS'] })).toBe(
      "ValidationException: 1 validation error detected: Value 'BOGUS' at 'dryRunModifiers.2.member' failed to satisfy constraint: Member must satisfy enum value set: [IGNORE_CIPHERTEXT]",
    );
  });
});

describe('CiphertextBlob and a dry run that ignores it (Decrypt, ReEncrypt)', () => {
  const ignoring = { DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] };
  const missing = (member: string) => `ValidationException: 1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`;

  it('may leave the ciphertext out only with DryRun true and IGNORE_CIPHERTEXT; the key is required then', async () => {
    expect(await outcome(DecryptRequest, { KeyId: 'k', ...ignoring })).toBe('valid');
    expect(await outcome(DecryptRequest, { KeyId: 'k', DryRun: false, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })).toBe(missing('ciphertextBlob'));
    expect(await outcome(DecryptRequest, { KeyId: 'k', DryRun: true })).toBe(missing('ciphertextBlob'));
    expect(await outcome(DecryptRequest, { ...ignoring })).toBe(missing('keyId'));
    expect(await outcome(ReEncryptRequest, { SourceKeyId: 'k', DestinationKeyId: 'd', ...ignoring })).toBe('valid');
    expect(await outcome(ReEncryptRequest, { DestinationKeyId: 'd', ...ignoring })).toBe(missing('sourceKeyId'));
    expect(await outcome(ReEncryptRequest, { SourceKeyId: 'k', DestinationKeyId: 'd' })).toBe(missing('ciphertextBlob'));
  });

  it('still checks a ciphertext that is sent, and leaves the key optional without the modifier', async () => {
    expect(await outcome(DecryptRequest, { KeyId: 'k', CiphertextBlob: 'not base64!', ...ignoring })).toBe("SerializationException: Member 'CiphertextBlob' is not valid base64.");
    expect(await outcome(DecryptRequest, { CiphertextBlob: 'AAAA' })).toBe('valid');
    expect(await outcome(ReEncryptRequest, { CiphertextBlob: 'AAAA', DestinationKeyId: 'd', DryRun: true })).toBe('valid');
  });
});

describe('strings must be Unicode text', () => {
  it('refuses an unpaired surrogate in any string member, without echoing it; a pair (an emoji) is text', async () => {
    const notText = (member: string) =>
      `ValidationException: 1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must be Unicode text (it has an unpaired surrogate)`;
    expect(await outcome(CreateKeyRequest, { Description: 'before \ud800 after' })).toBe(notText('description'));
    expect(await outcome(CreateKeyRequest, { Description: '\udfff' })).toBe(notText('description'));
    expect(await outcome(DescribeKeyRequest, { KeyId: 'alias/\udbff' })).toBe(notText('keyId'));
    expect(await outcome(CreateKeyRequest, { Description: 'a key for 🔑 and ünïcode' })).toBe('valid');
  });
});
