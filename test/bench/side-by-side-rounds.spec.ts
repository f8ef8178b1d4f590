import { summarizeRounds, type SideRound, type SideRow, type SideWindow } from '../../bench/side-by-side';

/** A window that only says which server and round it measured, and its rate. */
const windowOf = (server: string, perSecond: number): SideWindow =>
  ({ server, perSecond, operations: perSecond, errors: 0, concurrency: 16, elapsedMs: 1000, latency: {}, cpu: { clientPercent: 0 } }) as unknown as SideWindow;

const round = (reference: number, keyledger: number): SideRound => ({
  referenceFirst: windowOf('reference', reference),
  keyledger: windowOf('keyledger', keyledger),
  referenceLast: windowOf('reference', reference),
  ratio: reference > 0 ? keyledger / reference : undefined,
});

const row = (rounds: SideRound[]): SideRow => ({ operation: 'Encrypt', request: 'test', rounds });

describe('summarizeRounds (npm run bench, side by side)', () => {
  it('takes the median of the rounds, not one round nor the mean, and details the round that is that median', () => {
    // One slow phase of the host in round 2 (0.40); the mean would be 0.6, the median is 0.7.
    const r = row([round(1000, 700), round(1000, 400), round(1000, 710)]);
    summarizeRounds(r);
    expect(r.ratio).toBeCloseTo(0.7, 10);
    expect(r.keyledger?.perSecond).toBe(700);
    expect(r.referenceFirst?.perSecond).toBe(1000);
  });

  it('averages the middle two of an even count and details the lower of them', () => {
    const r = row([round(1000, 600), round(1000, 800), round(1000, 650), round(1000, 900)]);
    summarizeRounds(r);
    expect(r.ratio).toBeCloseTo(0.725, 10);
    expect(r.keyledger?.perSecond).toBe(650);
  });

  it('leaves out rounds without a ratio, and leaves a row with none unrated', () => {
    const rated = row([round(0, 500), round(1000, 640)]);
    summarizeRounds(rated);
    expect(rated.ratio).toBeCloseTo(0.64, 10);
    expect(rated.keyledger?.perSecond).toBe(640);

    const unrated = row([round(0, 500)]);
    summarizeRounds(unrated);
    expect(unrated.ratio).toBeUndefined();
    expect(unrated.keyledger).toBeUndefined();
  });
});
