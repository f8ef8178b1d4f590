import {
  AliasListEntry,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  KMSClient,
  ListAliasesCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AliasEvent, aliasStreamId, foldAlias } from '@keyledger/domain';
import { eventually, LoggedEvent } from './event-log';
import { expectKmsError } from './kms-error-assertions';
import { kmsClientFor } from './multi-instance-scenarios';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

export interface TwoInstancesForAliases {
  urls: [string, string];
  /** The whole event log as the store holds it (position order). */
  readLog(): Promise<LoggedEvent[]>;
  /**
   * How many appends to alias streams the store has refused for a wrong expected revision so far, where the
   * test can see the store (the EventStoreDB double runs in the test process): proof that the races collided.
   */
  aliasAppendConflicts?(): number;
}

const CONFLICT_MARKER = '[alias-race] store refused an alias append: wrong expected revision';

/**
 * For service processes on the embedded store, whose SQLite appends the test cannot see: a preload module
 * (`NODE_OPTIONS=--require`) that wraps SqliteEventStore.appendToStream and writes a marker line to stderr each time
 * an append to an alias stream is refused for a wrong expected revision. It only observes: the error is rethrown
 * unchanged. `count` counts the markers in the processes' output.
 */
export function embeddedConflictProbe(dir: string): { env: NodeJS.ProcessEnv; count(outputs: string[]): number } {
  const file = join(dir, 'alias-race-probe.js');
  const store = join(__dirname, '..', '..', 'dist', 'libs', 'event-store', 'src', 'sqlite-event-store.js');
  writeFileSync(
    file,
    `const { SqliteEventStore } = require(${JSON.stringify(store)});
const append = SqliteEventStore.prototype.appendToStream;
SqliteEventStore.prototype.appendToStream = async function (streamId, ...rest) {
  try {
    return await append.call(this, streamId, ...rest);
  } catch (error) {
    if (error && error.name === 'WrongExpectedRevisionError' && String(streamId).startsWith('kms-alias-')) process.stderr.write(${JSON.stringify(`\n${CONFLICT_MARKER}\n`)});
    throw error;
  }
};
`,
  );
  return {
    env: { NODE_OPTIONS: `--require ${file}` },
    count: (outputs) => outputs.reduce((sum, output) => sum + output.split(CONFLICT_MARKER).length - 1, 0),
  };
}

/** The outcome of each attempt, in the order the attempts were given (unlike race(), which only counts). */
async function settleInOrder<T>(attempts: Array<Promise<T>>): Promise<Array<{ ok: true; value: T } | { ok: false; error: unknown }>> {
  const settled = await Promise.allSettled(attempts);
  return settled.map((s) => (s.status === 'fulfilled' ? { ok: true as const, value: s.value } : { ok: false as const, error: s.reason }));
}

/**
 * Sends commands through their clients so that the HTTP requests leave together: each command is built and signed,
 * then waits at a barrier (an SDK middleware at the end of the finalizeRequest step) until every one has got there.
 * Without it the SDK's asynchronous middleware staggers the requests by milliseconds, enough for the second
 * instance to read the alias stream only after the first instance's append, so the races would never collide.
 */
function sendTogether<T>(sends: Array<{ client: KMSClient; command: { middlewareStack: any } }>): Array<Promise<T>> {
  let arrived = 0;
  let release!: () => void;
  const barrier = new Promise<void>((resolve) => (release = resolve));
  return sends.map(({ client, command }) => {
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        arrived += 1;
        if (arrived === sends.length) release();
        await barrier;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'aliasRaceBarrier' },
    );
    return client.send(command as never) as Promise<T>;
  });
}

const aliasArn = (name: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`;
const streamOf = (log: LoggedEvent[], name: string) => log.filter((e) => e.streamId === aliasStreamId(ACCOUNT, REGION, name));
const foldStream = (events: LoggedEvent[]) => foldAlias(events.map((e) => ({ type: e.type, data: e.data }) as unknown as AliasEvent));

async function createKey(kms: KMSClient, description: string): Promise<string> {
  return (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!.KeyId!;
}

/** Whether DescribeKey through this client finds the key yet. */
const describesKey = (kms: KMSClient, keyId: string) =>
  kms.send(new DescribeKeyCommand({ KeyId: keyId })).then(
    () => true,
    () => false,
  );

/** The aliases ListAliases shows for a key (one page: a race key never has more than a few). */
async function aliasesOf(kms: KMSClient, keyId: string): Promise<AliasListEntry[]> {
  return (await kms.send(new ListAliasesCommand({ KeyId: keyId, Limit: 100 }))).Aliases ?? [];
}

/** Every alias of the account and region, following NextMarker. */
async function allAliases(kms: KMSClient): Promise<AliasListEntry[]> {
  const all: AliasListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ Limit: 100, Marker: marker }));
    all.push(...(page.Aliases ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return all;
}

/**
 * Alias names are unique per account and region because each alias is its own stream, appended with the revision
 * that was read: two instances creating the same alias at the same moment end with one AliasCreated and one
 * AlreadyExistsException, whatever the store. Both instances then agree on the winner, through their read models
 * (ListAliases) and through the alias stream itself (DescribeKey by alias).
 */
export function describeAliasRaceScenarios(
  name: string,
  start: () => Promise<TwoInstancesForAliases>,
  stop: () => Promise<void>,
  options: { rounds?: number; maxRounds?: number } = {},
): void {
  const rounds = options.rounds ?? 10;
  const maxRounds = options.maxRounds ?? 30;

  describe(name, () => {
    let env: TwoInstancesForAliases;
    let clients: [KMSClient, KMSClient];
    const run = randomUUID().slice(0, 8);

    beforeAll(async () => {
      env = await start();
      clients = [kmsClientFor(env.urls[0]), kmsClientFor(env.urls[1])];
    });
    afterAll(async () => {
      for (const client of clients ?? []) client.destroy();
      await stop();
    });

    it(`CreateAlias of one new name through both instances at once, at least ${rounds} rounds: exactly one wins, the other gets AlreadyExistsException`, async () => {
      const winners = [0, 0];
      const conflictsBefore = env.aliasAppendConflicts?.() ?? 0;
      const collided = () => (env.aliasAppendConflicts ? env.aliasAppendConflicts() - conflictsBefore : undefined);
      let round = 0;
      // At least `rounds`; where the store's refusals are observable, more (up to maxRounds) until one race collided.
      for (; round < rounds || (collided() === 0 && round < maxRounds); round++) {
        const aliasName = `alias/race-${run}-${round}`;
        // One key made through each instance: the targets differ, so the log says which request won.
        const keys = [await createKey(clients[0], `race ${round} a`), await createKey(clients[1], `race ${round} b`)];
        // Each instance's key read model learns of the other's key through its subscription (documented lag: the
        // embedded store polls for other processes' commits every 50 ms). Waiting for both keys here leaves the
        // alias as the only thing the DescribeKey-by-alias check below can find or miss at once.
        for (const kms of clients) {
          for (const keyId of keys) await eventually(() => describesKey(kms, keyId), Boolean);
        }
        const outcomes = await settleInOrder(
          sendTogether([0, 1].map((i) => ({ client: clients[i], command: new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keys[i] }) }))),
        );

        const won = outcomes.flatMap((o, i) => (o.ok ? [i] : []));
        expect(won).toHaveLength(1);
        const winner = won[0];
        const loser = 1 - winner;
        winners[winner] += 1;
        const refusal = outcomes[loser];
        if (refusal.ok) throw new Error('unreachable');
        await expectKmsError(Promise.reject(refusal.error), 'AlreadyExistsException', `An alias with the name ${aliasArn(aliasName)} already exists`);

        // The alias stream holds exactly one AliasCreated, naming the winner's key.
        const stream = streamOf(await env.readLog(), aliasName);
        expect(stream.map((e) => [e.revision, e.type])).toEqual([[0, 'AliasCreated.v1']]);
        expect(stream[0].data).toMatchObject({ aliasName, aliasArn: aliasArn(aliasName), target: { keyId: keys[winner] } });
        expect(foldStream(stream)?.target.keyId).toBe(keys[winner]);

        for (const kms of clients) {
          // Through the alias stream: DescribeKey by alias names the winner's key on both instances at once.
          expect((await kms.send(new DescribeKeyCommand({ KeyId: aliasName }))).KeyMetadata!.KeyId).toBe(keys[winner]);
          // Through each instance's read model, once it has caught up: the winner's key has it, the loser's does not.
          const listed = await eventually(() => aliasesOf(kms, keys[winner]), (aliases) => aliases.length > 0);
          expect(listed).toEqual([expect.objectContaining({ AliasName: aliasName, AliasArn: aliasArn(aliasName), TargetKeyId: keys[winner] })]);
          expect(await aliasesOf(kms, keys[loser])).toEqual([]);
        }
      }
      // Shown, not asserted (the scheduler decides): which instance won how often. Asserted: at least one race really
      // collided, i.e. the loser had read the alias stream before the winner's append and the store refused its append.
      const conflicts = collided();
      process.stdout.write(`${name}: CreateAlias races won by instance A ${winners[0]}, B ${winners[1]} of ${round}; alias appends refused by the store: ${conflicts ?? 'not observable'}\n`);
      if (conflicts !== undefined) expect(conflicts).toBeGreaterThan(0);
    });

    it('UpdateAlias through one instance racing DeleteAlias through the other: the stream folds to no alias, and both instances say so', async () => {
      const orders = { updateFirst: 0, deleteFirst: 0 };
      for (let round = 0; round < 3; round++) {
        const aliasName = `alias/update-delete-${run}-${round}`;
        const first = await createKey(clients[0], `update-delete ${round} first`);
        const second = await createKey(clients[1], `update-delete ${round} second`);
        for (const kms of clients) await eventually(() => describesKey(kms, first).then(async (found) => found && describesKey(kms, second)), Boolean);
        await clients[round % 2].send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: first }));

        // Alternate which instance updates and which deletes.
        const updater = clients[round % 2];
        const deleter = clients[1 - (round % 2)];
        const [update, deletion] = await settleInOrder<unknown>(
          sendTogether([
            { client: updater, command: new UpdateAliasCommand({ AliasName: aliasName, TargetKeyId: second }) },
            { client: deleter, command: new DeleteAliasCommand({ AliasName: aliasName }) },
          ]),
        );

        // The deletion always finds the alias (created before the race); the update either came first or finds it gone.
        expect(deletion).toMatchObject({ ok: true });
        const stream = streamOf(await env.readLog(), aliasName);
        orders[update.ok ? 'updateFirst' : 'deleteFirst'] += 1;
        if (update.ok) {
          expect(stream.map((e) => e.type)).toEqual(['AliasCreated.v1', 'AliasRetargeted.v1', 'AliasDeleted.v1']);
          expect(stream[1].data).toMatchObject({ target: { keyId: second }, previousTargetKeyId: first });
          expect(stream[2].data).toMatchObject({ targetKeyId: second, reason: 'DeleteAlias' });
        } else {
          await expectKmsError(Promise.reject(update.error), 'NotFoundException', `Alias ${aliasArn(aliasName)} is not found.`);
          expect(stream.map((e) => e.type)).toEqual(['AliasCreated.v1', 'AliasDeleted.v1']);
          expect(stream[1].data).toMatchObject({ targetKeyId: first, reason: 'DeleteAlias' });
        }
        expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => i));
        expect(foldStream(stream)).toBeUndefined();

        for (const kms of clients) {
          await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: aliasName })), 'NotFoundException', `Alias ${aliasArn(aliasName)} is not found.`);
          await eventually(async () => (await allAliases(kms)).filter((a) => a.AliasName === aliasName), (found) => found.length === 0);
          expect(await aliasesOf(kms, first)).toEqual([]);
          expect(await aliasesOf(kms, second)).toEqual([]);
        }
        // The name is free again: it can be created anew, through either instance, and both see the new target.
        await deleter.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: second }));
        for (const kms of clients) {
          expect((await kms.send(new DescribeKeyCommand({ KeyId: aliasName }))).KeyMetadata!.KeyId).toBe(second);
        }
      }
      process.stdout.write(`${name}: UpdateAlias/DeleteAlias races: update first ${orders.updateFirst}, delete first ${orders.deleteFirst}\n`);
    });

    it("both instances' alias read models end identical to the alias streams folded", async () => {
      const log = await env.readLog();
      const streams = new Map<string, LoggedEvent[]>();
      for (const e of log.filter((e) => e.streamId.startsWith('kms-alias-'))) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
      const expected = [...streams.values()]
        .map(foldStream)
        .filter((state) => state !== undefined)
        .map((state) => ({ AliasName: state!.aliasName, TargetKeyId: state!.target.keyId }))
        .sort((a, b) => a.AliasName.localeCompare(b.AliasName));
      expect(expected.length).toBeGreaterThanOrEqual(rounds);
      for (const kms of clients) {
        const listed = await eventually(
          async () => (await allAliases(kms)).map((a) => ({ AliasName: a.AliasName!, TargetKeyId: a.TargetKeyId! })).sort((a, b) => a.AliasName.localeCompare(b.AliasName)),
          (aliases) => aliases.length === expected.length,
        );
        expect(listed).toEqual(expected);
      }
    });
  });
}
