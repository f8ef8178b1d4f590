import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommandInput,
  DecryptCommand,
  DeleteAliasCommand,
  DeleteImportedKeyMaterialCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { getImportParameters } from '../support/byok-flow';
import { materialFor, wrapForImport } from '../support/client-wrapping';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { allAliases, aliasArnOf, ciphertextNaming, createKey, DAY, MINUTE, outcomeOf, uniqueAlias, waitForDeletion } from '../support/lifecycle-helpers';

/**
 * Every operation that takes a KeyId, in every key state, against the expected answers of the key-state table
 * (kms-operations-reference.md §8, §7.2 footnotes; kms-api-reference.md §10). Each cell uses a key whose type
 * fits the operation, so only the state decides. Cells where the operation succeeds and changes the key's state
 * get a key of their own; all other cells of a state share one key per key type.
 */

const STATES = [
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport (no material)',
  'PendingImport (material deleted)',
  'PendingImport (material expired)',
  'Deleted',
] as const;
type State = (typeof STATES)[number];
const LIVE_STATES = STATES.filter((s) => s !== 'Deleted');
const isPendingImport = (state: State) => state.startsWith('PendingImport');

// The answers of §8, with <arn> for the key's ARN and <alias-arn> for its alias's ARN.
const OK = 'OK';
const DISABLED = 'DisabledException: <arn> is disabled.'; // [1]
const PENDING_DELETION = 'KMSInvalidStateException: <arn> is pending deletion.'; // [3], and [8] for the import operations
const NOT_PENDING_DELETION = 'KMSInvalidStateException: <arn> is not pending deletion.'; // [4]
const PENDING_IMPORT = 'KMSInvalidStateException: <arn> is pending import.'; // [5]
const ORIGIN_EXTERNAL = 'UnsupportedOperationException: <arn> origin is EXTERNAL which is not valid for this operation.'; // [6]
const GONE = "NotFoundException: Key '<arn>' does not exist"; // a deleted key (Appendix B #21)
const ALIAS_GONE = 'NotFoundException: Alias <alias-arn> is not found.'; // its aliases went with it

/** Columns in the order of STATES. */
const EXPECTED: Record<string, string[]> = {
  //                                   Enabled  Disabled  PendingDeletion   PImp(none)      PImp(deleted)   PImp(expired)   Deleted
  Encrypt:                             [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  Decrypt:                             [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  ReEncrypt:                           [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GenerateDataKey:                     [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GenerateDataKeyWithoutPlaintext:     [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GenerateDataKeyPair:                 [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GenerateDataKeyPairWithoutPlaintext: [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  Sign:                                [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  Verify:                              [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GetPublicKey:                        [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  GenerateMac:                         [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  VerifyMac:                           [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  DeriveSharedSecret:                  [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  DescribeKey:                         [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  GetKeyLastUsage:                     [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  EnableKey:                           [OK,     OK,       PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  DisableKey:                          [OK,     OK,       PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  UpdateKeyDescription:                [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  ScheduleKeyDeletion:                 [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  CancelKeyDeletion:                   [NOT_PENDING_DELETION, NOT_PENDING_DELETION, OK, NOT_PENDING_DELETION, NOT_PENDING_DELETION, NOT_PENDING_DELETION, GONE],
  GetParametersForImport:              [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  ImportKeyMaterial:                   [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  DeleteImportedKeyMaterial:           [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  CreateAlias:                         [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  UpdateAlias:                         [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  DeleteAlias:                         [OK,     OK,       OK,               OK,             OK,             OK,             ALIAS_GONE],
  ListAliases:                         [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  TagResource:                         [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  UntagResource:                       [OK,     OK,       PENDING_DELETION, OK,             OK,             OK,             GONE],
  ListResourceTags:                    [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  GetKeyPolicy:                        [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  PutKeyPolicy:                        [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  ListKeyPolicies:                     [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  EnableKeyRotation:                   [OK,     DISABLED, PENDING_DELETION, ORIGIN_EXTERNAL, ORIGIN_EXTERNAL, ORIGIN_EXTERNAL, GONE],
  DisableKeyRotation:                  [OK,     DISABLED, PENDING_DELETION, ORIGIN_EXTERNAL, ORIGIN_EXTERNAL, ORIGIN_EXTERNAL, GONE],
  // §8 says [6] in PendingImport; Appendix B #28 resolves the conflict with the DG: imported keys read false.
  GetKeyRotationStatus:                [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
  RotateKeyOnDemand:                   [OK,     DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_IMPORT, PENDING_IMPORT, GONE],
  ListKeyRotations:                    [OK,     OK,       OK,               OK,             OK,             OK,             GONE],
};

/**
 * Key types: `sym` symmetric encryption (an EXTERNAL one in the PendingImport states, where only imported keys
 * can be), `ext` EXTERNAL symmetric (the import operations), `rsa` RSA_2048 SIGN_VERIFY, `hmac` HMAC_256,
 * `ecdh` ECC_NIST_P256 KEY_AGREEMENT.
 */
type Kind = 'sym' | 'ext' | 'rsa' | 'hmac' | 'ecdh';
const KEY_TYPES: Record<Kind, { input: Partial<CreateKeyCommandInput>; spec: string }> = {
  sym: { input: {}, spec: 'SYMMETRIC_DEFAULT' },
  ext: { input: { Origin: 'EXTERNAL' }, spec: 'SYMMETRIC_DEFAULT' },
  rsa: { input: { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, spec: 'RSA_2048' },
  hmac: { input: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, spec: 'HMAC_256' },
  ecdh: { input: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }, spec: 'ECC_NIST_P256' },
};
const kindIn = (kind: Kind, state: State): Kind => (kind === 'sym' && isPendingImport(state) ? 'ext' : kind);

/** A key in a state, with what the probes need: an alias, and a ciphertext, signature, MAC and import token made before the state. */
interface Fixture {
  keyId: string;
  arn: string;
  alias: string;
  /** An alias of this state that points at another key of the same type, for UpdateAlias to move here. */
  retarget: string;
  ciphertext?: Uint8Array;
  signature?: Uint8Array;
  mac?: Uint8Array;
  importToken?: Uint8Array;
  wrappedMaterial?: Uint8Array;
}

interface Probe {
  kind: Kind;
  /** The call changes the key's state when it succeeds: such cells get a key of their own. */
  changesState?: boolean;
  call: (kms: KMSClient, f: Fixture) => Promise<unknown>;
}

const MESSAGE = Buffer.from('walk');
const PEER_PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
const POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}';

const PROBES: Record<string, Probe> = {
  Encrypt: { kind: 'sym', call: (kms, f) => kms.send(new EncryptCommand({ KeyId: f.keyId, Plaintext: MESSAGE })) },
  Decrypt: { kind: 'sym', call: (kms, f) => kms.send(new DecryptCommand({ KeyId: f.keyId, CiphertextBlob: f.ciphertext })) },
  ReEncrypt: { kind: 'sym', call: (kms, f) => kms.send(new ReEncryptCommand({ CiphertextBlob: f.ciphertext, SourceKeyId: f.keyId, DestinationKeyId: f.keyId })) },
  GenerateDataKey: { kind: 'sym', call: (kms, f) => kms.send(new GenerateDataKeyCommand({ KeyId: f.keyId, KeySpec: 'AES_256' })) },
  GenerateDataKeyWithoutPlaintext: { kind: 'sym', call: (kms, f) => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: f.keyId, NumberOfBytes: 32 })) },
  GenerateDataKeyPair: { kind: 'sym', call: (kms, f) => kms.send(new GenerateDataKeyPairCommand({ KeyId: f.keyId, KeyPairSpec: 'ECC_NIST_P256' })) },
  GenerateDataKeyPairWithoutPlaintext: {
    kind: 'sym',
    call: (kms, f) => kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: f.keyId, KeyPairSpec: 'ECC_NIST_P256' })),
  },
  Sign: { kind: 'rsa', call: (kms, f) => kms.send(new SignCommand({ KeyId: f.keyId, Message: MESSAGE, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })) },
  Verify: {
    kind: 'rsa',
    call: async (kms, f) => {
      const { SignatureValid } = await kms.send(new VerifyCommand({ KeyId: f.keyId, Message: MESSAGE, Signature: f.signature, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }));
      if (!SignatureValid) throw new Error('SignatureValid false');
    },
  },
  GetPublicKey: { kind: 'rsa', call: (kms, f) => kms.send(new GetPublicKeyCommand({ KeyId: f.keyId })) },
  GenerateMac: { kind: 'hmac', call: (kms, f) => kms.send(new GenerateMacCommand({ KeyId: f.keyId, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' })) },
  VerifyMac: {
    kind: 'hmac',
    call: async (kms, f) => {
      const { MacValid } = await kms.send(new VerifyMacCommand({ KeyId: f.keyId, Message: MESSAGE, Mac: f.mac, MacAlgorithm: 'HMAC_SHA_256' }));
      if (!MacValid) throw new Error('MacValid false');
    },
  },
  DeriveSharedSecret: {
    kind: 'ecdh',
    call: (kms, f) => kms.send(new DeriveSharedSecretCommand({ KeyId: f.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: PEER_PUBLIC_KEY })),
  },
  DescribeKey: { kind: 'sym', call: (kms, f) => kms.send(new DescribeKeyCommand({ KeyId: f.keyId })) },
  GetKeyLastUsage: { kind: 'sym', call: (kms, f) => kms.send(new GetKeyLastUsageCommand({ KeyId: f.keyId })) },
  EnableKey: { kind: 'sym', changesState: true, call: (kms, f) => kms.send(new EnableKeyCommand({ KeyId: f.keyId })) },
  DisableKey: { kind: 'sym', changesState: true, call: (kms, f) => kms.send(new DisableKeyCommand({ KeyId: f.keyId })) },
  UpdateKeyDescription: { kind: 'sym', call: (kms, f) => kms.send(new UpdateKeyDescriptionCommand({ KeyId: f.keyId, Description: 'walked' })) },
  ScheduleKeyDeletion: { kind: 'sym', changesState: true, call: (kms, f) => kms.send(new ScheduleKeyDeletionCommand({ KeyId: f.keyId, PendingWindowInDays: 7 })) },
  CancelKeyDeletion: { kind: 'sym', changesState: true, call: (kms, f) => kms.send(new CancelKeyDeletionCommand({ KeyId: f.keyId })) },
  GetParametersForImport: {
    kind: 'ext',
    call: (kms, f) => kms.send(new GetParametersForImportCommand({ KeyId: f.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })),
  },
  ImportKeyMaterial: {
    kind: 'ext',
    changesState: true,
    call: (kms, f) =>
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: f.keyId,
          ImportToken: f.importToken,
          EncryptedKeyMaterial: f.wrappedMaterial,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
  },
  DeleteImportedKeyMaterial: { kind: 'ext', changesState: true, call: (kms, f) => kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: f.keyId })) },
  CreateAlias: { kind: 'sym', call: (kms, f) => kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('walk-new'), TargetKeyId: f.keyId })) },
  UpdateAlias: { kind: 'sym', call: (kms, f) => kms.send(new UpdateAliasCommand({ AliasName: f.retarget, TargetKeyId: f.keyId })) },
  DeleteAlias: { kind: 'sym', call: (kms, f) => kms.send(new DeleteAliasCommand({ AliasName: f.alias })) },
  ListAliases: { kind: 'sym', call: (kms, f) => kms.send(new ListAliasesCommand({ KeyId: f.keyId })) },
  TagResource: { kind: 'sym', call: (kms, f) => kms.send(new TagResourceCommand({ KeyId: f.keyId, Tags: [{ TagKey: 'walk', TagValue: 'yes' }] })) },
  UntagResource: { kind: 'sym', call: (kms, f) => kms.send(new UntagResourceCommand({ KeyId: f.keyId, TagKeys: ['walk'] })) },
  ListResourceTags: { kind: 'sym', call: (kms, f) => kms.send(new ListResourceTagsCommand({ KeyId: f.keyId })) },
  GetKeyPolicy: { kind: 'sym', call: (kms, f) => kms.send(new GetKeyPolicyCommand({ KeyId: f.keyId, PolicyName: 'default' })) },
  PutKeyPolicy: { kind: 'sym', call: (kms, f) => kms.send(new PutKeyPolicyCommand({ KeyId: f.keyId, PolicyName: 'default', Policy: POLICY })) },
  ListKeyPolicies: { kind: 'sym', call: (kms, f) => kms.send(new ListKeyPoliciesCommand({ KeyId: f.keyId })) },
  EnableKeyRotation: { kind: 'sym', call: (kms, f) => kms.send(new EnableKeyRotationCommand({ KeyId: f.keyId, RotationPeriodInDays: 365 })) },
  DisableKeyRotation: { kind: 'sym', call: (kms, f) => kms.send(new DisableKeyRotationCommand({ KeyId: f.keyId })) },
  GetKeyRotationStatus: { kind: 'sym', call: (kms, f) => kms.send(new GetKeyRotationStatusCommand({ KeyId: f.keyId })) },
  RotateKeyOnDemand: { kind: 'sym', call: (kms, f) => kms.send(new RotateKeyOnDemandCommand({ KeyId: f.keyId })) },
  ListKeyRotations: { kind: 'sym', call: (kms, f) => kms.send(new ListKeyRotationsCommand({ KeyId: f.keyId })) },
};

const expectedOf = (op: string, state: State): string => EXPECTED[op][STATES.indexOf(state)];
const ownKey = (op: string, state: State): boolean => !!PROBES[op].changesState && expectedOf(op, state) === OK;

describe('the key-state table, walked end to end (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  it('answers every KeyId operation in every key state as the table says', async () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(EXPECTED).sort());
    const VALID_FOR_MS = 60 * MINUTE;

    // A symmetric key whose ciphertext is rewritten to name keys that never had material, and the key each
    // state's UpdateAlias alias starts on.
    const anchor = await createKey(kms);
    const anchorCiphertext = (await kms.send(new EncryptCommand({ KeyId: anchor.KeyId, Plaintext: MESSAGE }))).CiphertextBlob!;
    const retargets = new Map<State, string>();
    for (const state of STATES) {
      const name = uniqueAlias('walk-retarget');
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: anchor.KeyId }));
      retargets.set(state, name);
    }

    /** Creates a key of `kind` and brings it into `state` (Deleted: scheduled, deleted later by the clock). */
    async function build(state: State, kind: Kind): Promise<Fixture> {
      const external = kind === 'ext' || isPendingImport(state);
      const type = KEY_TYPES[kind];
      const key = await createKey(kms, { ...type.input, ...(external ? { Origin: 'EXTERNAL' } : {}) });
      const f: Fixture = { keyId: key.KeyId!, arn: key.Arn!, alias: uniqueAlias('walk'), retarget: retargets.get(state)! };
      await kms.send(new CreateAliasCommand({ AliasName: f.alias, TargetKeyId: f.keyId }));

      const needsMaterial = external && state !== 'PendingImport (no material)';
      if (needsMaterial || (kind === 'ext' && state !== 'Deleted')) {
        // RSA_AES_KEY_WRAP suits every kind of material (RSA private keys are too long for RSAES_OAEP).
        const params = await getImportParameters(kms, f.keyId, 'RSA_AES_KEY_WRAP_SHA_256');
        f.importToken = params.ImportToken;
        f.wrappedMaterial = wrapForImport('RSA_AES_KEY_WRAP_SHA_256', params.PublicKey!, materialFor(type.spec));
      }
      if (needsMaterial) {
        const expires = state === 'PendingImport (material expired)';
        await kms.send(
          new ImportKeyMaterialCommand({
            KeyId: f.keyId,
            ImportToken: f.importToken,
            EncryptedKeyMaterial: f.wrappedMaterial,
            ExpirationModel: expires ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
            ValidTo: expires ? new Date(kl.clock.now() + VALID_FOR_MS) : undefined,
          }),
        );
      }

      if (!external || needsMaterial) {
        // Made while the key is usable.
        if (kind === 'sym' || kind === 'ext') f.ciphertext = (await kms.send(new EncryptCommand({ KeyId: f.keyId, Plaintext: MESSAGE }))).CiphertextBlob;
        if (kind === 'rsa') f.signature = (await kms.send(new SignCommand({ KeyId: f.keyId, Message: MESSAGE, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))).Signature;
        if (kind === 'hmac') f.mac = (await kms.send(new GenerateMacCommand({ KeyId: f.keyId, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' }))).Mac;
      } else {
        // A key that never had material: a ciphertext naming it, and a signature and MAC of the right size.
        f.ciphertext = ciphertextNaming(anchorCiphertext, anchor.KeyId!, f.keyId);
        f.signature = randomBytes(256);
        f.mac = randomBytes(32);
      }

      if (state === 'Disabled') await kms.send(new DisableKeyCommand({ KeyId: f.keyId }));
      if (state === 'PendingDeletion' || state === 'Deleted') await kms.send(new ScheduleKeyDeletionCommand({ KeyId: f.keyId, PendingWindowInDays: 7 }));
      if (state === 'PendingImport (material deleted)') await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: f.keyId }));
      return f;
    }

    // Shared keys: one per state and key type the state's probes use.
    const shared = new Map<string, Fixture>();
    const sharedKey = (state: State, kind: Kind) => `${state}/${kindIn(kind, state)}`;
    for (const state of STATES) {
      for (const kind of new Set(Object.values(PROBES).map((p) => kindIn(p.kind, state)))) {
        shared.set(sharedKey(state, kind), await build(state, kind));
      }
    }
    // Own keys for the cells that change the key's state.
    const own = new Map<string, Fixture>();
    for (const state of LIVE_STATES) {
      for (const op of Object.keys(PROBES).filter((o) => ownKey(o, state))) own.set(`${op}/${state}`, await build(state, kindIn(PROBES[op].kind, state)));
    }

    kl.clock.advance(VALID_FOR_MS + MINUTE);

    const actual: Record<string, Record<string, string>> = {};
    const expected: Record<string, Record<string, string>> = {};
    async function walk(state: State): Promise<void> {
      // Probes that may change a shared key (refusals expected) go last.
      const ops = Object.keys(PROBES).sort((a, b) => Number(!!PROBES[a].changesState) - Number(!!PROBES[b].changesState));
      for (const op of ops) {
        const f = ownKey(op, state) ? own.get(`${op}/${state}`)! : shared.get(sharedKey(state, PROBES[op].kind))!;
        const answer = await outcomeOf(() => PROBES[op].call(kms, f));
        (actual[op] ??= {})[state] = answer.split(f.arn).join('<arn>').split(aliasArnOf(f.alias)).join('<alias-arn>');
        (expected[op] ??= {})[state] = expectedOf(op, state);
      }
    }

    // The shared keys are in the states they are meant to be in.
    const describedStates: Record<string, string | undefined> = {};
    const wantedStates: Record<string, string> = {};
    for (const [name, f] of shared) {
      const state = name.split('/')[0] as State;
      if (state === 'Deleted') continue;
      describedStates[name] = (await kms.send(new DescribeKeyCommand({ KeyId: f.keyId }))).KeyMetadata!.KeyState;
      wantedStates[name] = isPendingImport(state) ? 'PendingImport' : state;
    }
    expect(describedStates).toEqual(wantedStates);

    for (const state of LIVE_STATES) await walk(state);

    // The deletion: the clock passes DeletionDate and the maintenance job deletes the keys and their aliases.
    kl.clock.advance(8 * DAY);
    const doomed = [...shared].filter(([name]) => name.startsWith('Deleted/')).map(([, f]) => f);
    for (const f of doomed) await waitForDeletion(kl, f.keyId);
    await eventually(() => allAliases(kms), (list) => !list.some((a) => doomed.some((f) => f.alias === a.AliasName)));
    await walk('Deleted');

    expect(actual).toEqual(expected);
  }, 180_000);
});
