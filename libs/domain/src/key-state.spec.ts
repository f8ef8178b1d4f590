import { CreateKeyCommand, IssueImportParametersCommand } from './commands';
import { decide } from './decide';
import { KeyEvent } from './events';
import { evolve, foldEvents, initialState, KeyState, STATE_NEUTRAL_KEY_EVENT_TYPES } from './key-state';
import {
  ACCOUNT,
  DAY_MS,
  externalKey,
  importMaterial,
  KEY_ARN,
  KEY_ID,
  keyCreated,
  MAT_A,
  MAT_B,
  materialDeleted,
  materialExpired,
  materialImported,
  REGION,
  T0,
} from './testing/given-when-then';

describe('evolve / foldEvents', () => {
  it('starts from an empty, enabled state without a key', () => {
    expect(initialState()).toStrictEqual({ enabled: true, materials: [] });
    expect(foldEvents([])).toStrictEqual(initialState());
  });

  it('is total: an unknown event type leaves the state unchanged', () => {
    const state = foldEvents([externalKey(), materialImported()]);
    const unknown = { type: 'KeyRotated.v9', data: { keyMaterialId: MAT_B } } as unknown as KeyEvent;
    expect(evolve(state, unknown)).toBe(state);
    expect(evolve(initialState(), unknown)).toStrictEqual(initialState());
  });

  it('ImportParametersIssued does not change the state', () => {
    const state = foldEvents([externalKey()]);
    const issued: KeyEvent = {
      type: 'ImportParametersIssued.v1',
      data: { importTokenId: 't', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: '2025-01-02T00:00:00.000Z', publicKeyFingerprint: 'f' },
    };
    expect(evolve(state, issued)).toBe(state);
  });

  it('never reads the data of a state-neutral event (a replay skips them unparsed or unread)', () => {
    expect([...STATE_NEUTRAL_KEY_EVENT_TYPES]).toEqual(['ImportParametersIssued.v1']);
    const state = foldEvents([externalKey()]);
    for (const type of STATE_NEUTRAL_KEY_EVENT_TYPES) {
      const unreadable = { type, get data(): never { throw new Error('data read'); } } as unknown as KeyEvent;
      expect(evolve(state, unreadable)).toBe(state);
      expect(evolve(initialState(), unreadable)).toStrictEqual(initialState());
    }
  });

  it('KeyMaterialDeleted / KeyMaterialExpired for material the key does not have leave the state unchanged', () => {
    const state = foldEvents([externalKey(), materialImported()]);
    expect(evolve(state, materialDeleted(MAT_B))).toStrictEqual(state);
    expect(evolve(state, materialExpired(MAT_B, T0))).toStrictEqual(state);
  });

  it('does not mutate the state it is given', () => {
    const state = foldEvents([externalKey(), materialImported()]);
    const snapshot = JSON.parse(JSON.stringify(state));
    evolve(state, materialDeleted(MAT_A));
    evolve(state, materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }));
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(snapshot);
  });

  // key-state.ts documents evolve as "Total: unknown or out-of-place events leave the state unchanged".
  it('out-of-place: a second KeyCreated does not replace the existing key or its materials', () => {
    const state = foldEvents([externalKey(), materialImported()]);
    const duplicate = keyCreated({ description: 'impostor', origin: 'AWS_KMS', keyMaterialId: MAT_B });
    expect(evolve(state, duplicate)).toStrictEqual(state);
  });

  it('out-of-place: material events before KeyCreated leave the (key-less) state unchanged', () => {
    expect(evolve(initialState(), materialImported())).toStrictEqual(initialState());
  });

  describe('folding the events decide produced reproduces the expected state', () => {
    const V = T0 + 30 * DAY_MS;
    const create: CreateKeyCommand = {
      kind: 'CreateKey',
      keyId: KEY_ID,
      accountId: ACCOUNT,
      region: REGION,
      description: 'byok',
      keySpec: 'SYMMETRIC_DEFAULT',
      origin: 'EXTERNAL',
      multiRegion: false,
    };
    const issue: IssueImportParametersCommand = {
      kind: 'IssueImportParameters',
      keyArn: KEY_ARN,
      wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      wrappingKeySpec: 'RSA_4096',
      importTokenId: 'token-1',
      parametersValidTo: T0 + DAY_MS,
      publicKeyFingerprint: 'f'.repeat(64),
    };
    const run = () => {
      const log: KeyEvent[] = [];
      let state: KeyState = initialState();
      const step = (command: Parameters<typeof decide>[0], now: number) => {
        const { events } = decide(command, state, now);
        log.push(...events);
        state = foldEvents(events, state);
      };
      step(create, T0);
      step(issue, T0 + 1000);
      step(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: V, keyMaterialDescription: 'hsm' }), T0 + 2000);
      return { log, state };
    };

    const expected: KeyState = {
      key: {
        keyId: KEY_ID,
        arn: KEY_ARN,
        accountId: ACCOUNT,
        region: REGION,
        description: 'byok',
        keySpec: 'SYMMETRIC_DEFAULT',
        keyUsage: 'ENCRYPT_DECRYPT',
        origin: 'EXTERNAL',
        multiRegion: false,
        creationDate: T0,
      },
      enabled: true,
      materials: [
        { keyMaterialId: MAT_A, materialState: 'CURRENT', importState: 'IMPORTED', expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: V, description: 'hsm' },
      ],
      currentKeyMaterialId: MAT_A,
    };

    it('step by step', () => {
      expect(run().state).toEqual(expected);
    });

    it('from the whole log in one fold', () => {
      expect(foldEvents(run().log)).toEqual(expected);
    });

    it('from the log after a JSON round trip (events are stored as JSON)', () => {
      expect(foldEvents(JSON.parse(JSON.stringify(run().log)))).toEqual(expected);
    });
  });
});
