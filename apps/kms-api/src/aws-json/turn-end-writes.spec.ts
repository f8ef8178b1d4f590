import { TurnEndWrites } from './turn-end-writes';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnEndWrites', () => {
  it('runs nothing while the turn goes on, then every write of the turn together, in the order queued', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.defer(() => done.push('a'));
    await Promise.resolve(); // microtasks of the same turn: still queued
    writes.defer(() => done.push('b'));
    expect(done).toEqual([]);
    // An immediate queued after the first defer runs after the flush: the writes went out in one batch.
    await nextTurn();
    expect(done).toEqual(['a', 'b']);
  });

  it('starts a new batch for writes queued by a later turn', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.defer(() => done.push('first turn'));
    await nextTurn();
    writes.defer(() => done.push('second turn'));
    expect(done).toEqual(['first turn']);
    await nextTurn();
    expect(done).toEqual(['first turn', 'second turn']);
  });

  it("runs the rest of the turn's writes when one throws, and reports the failure", async () => {
    const failures: unknown[] = [];
    const writes = new TurnEndWrites((error) => failures.push(error));
    const done: string[] = [];
    const broken = new Error('socket gone');
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
