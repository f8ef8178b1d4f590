import { TurnEndWrites } from './turn-end-writes';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnEndWrites', () => {
  it('runs nothing while the turn that read requests goes on, then every write of the turn together, in the order queued', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.handlingRequest();
    writes.defer(() => done.push('a'));
    await Promise.resolve(); // microtasks of the same turn: still queued
    writes.defer(() => done.push('b'));
    await new Promise<void>((resolve) => process.nextTick(resolve)); // ticks too
    expect(done).toEqual([]);
    // An immediate queued after the request was read runs after the flush: the writes went out in one batch.
    await nextTurn();
    expect(done).toEqual(['a', 'b']);
  });

  it('starts a new batch for writes queued by a later turn', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.handlingRequest();
    writes.defer(() => done.push('first turn'));
    await nextTurn();
    writes.handlingRequest();
    writes.defer(() => done.push('second turn'));
    expect(done).toEqual(['first turn']);
    await nextTurn();
    expect(done).toEqual(['first turn', 'second turn']);
  });

  it('writes what is released after the turn that read its request ended once the releasing microtasks have run, before the next turn', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    let seenByTheNextImmediate: string[] = [];
    writes.handlingRequest();
    // As a group commit at the turn's end does: an immediate that settles promises, whose continuations answer.
    setImmediate(() => {
      const committed = Promise.resolve();
      void committed.then(() => writes.defer(() => done.push('first')));
      void committed
        .then(() => undefined)
        .then(() => {
          expect(done).toEqual([]); // not one at a time: the other continuation has not answered yet
          writes.defer(() => done.push('second'));
        });
    });
    // Queued in the same turn, so it runs in the same check phase, before any immediate queued from there and
    // before the next turn reads anything.
    setImmediate(() => (seenByTheNextImmediate = [...done]));
    await nextTurn();
    expect(seenByTheNextImmediate).toEqual(['first', 'second']);
  });

  it('writes at the end of the current microtasks when no request was read in the turn (a timer, a thread reply)', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    await Promise.resolve().then(() => {
      writes.defer(() => done.push('a'));
      writes.defer(() => done.push('b'));
      expect(done).toEqual([]);
    });
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(done).toEqual(['a', 'b']);
  });

  it("runs the rest of the turn's writes when one throws, and reports the failure", async () => {
    const failures: unknown[] = [];
    const writes = new TurnEndWrites((error) => failures.push(error));
    const done: string[] = [];
    const broken = new Error('socket gone');
    writes.handlingRequest();
    writes.defer(() => done.push('a'));
    writes.defer(() => {
      throw broken;
    });
    writes.defer(() => done.push('c'));
    await nextTurn();
    expect(done).toEqual(['a', 'c']);
    expect(failures).toEqual([broken]);
  });

  it('sends a batch at once when its first write has waited the bound, and starts a new batch after it', async () => {
    let clock = 0;
    const writes = new TurnEndWrites(undefined, 1, () => clock);
    const done: string[] = [];
    writes.handlingRequest();
    writes.defer(() => done.push('a'));
    clock = 0.6;
    writes.defer(() => done.push('b'));
    expect(done).toEqual([]); // under the bound: still waiting for the turn's end
    clock = 1.2;
    writes.defer(() => done.push('c'));
    expect(done).toEqual(['a', 'b', 'c']); // 'a' waited 1.2 ms: the batch went out with 'c'
    writes.defer(() => done.push('d'));
    expect(done).toEqual(['a', 'b', 'c']);
    await nextTurn();
    expect(done).toEqual(['a', 'b', 'c', 'd']);
  });
});
