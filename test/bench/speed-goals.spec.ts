import { speedGoals, type SpeedResults } from '../../bench/report-speed';
import type { SideResults, SideRound, SideRow, SideWindow } from '../../bench/side-by-side';

/** A window with only what the goals read: its rate, its p99 and its peak RSS. */
const windowOf = (server: string, p99: number): SideWindow =>
  ({ server, perSecond: 1000, operations: 3000, errors: 0, concurrency: 16, elapsedMs: 3000, latency: { p99 }, cpu: { clientPercent: 0 }, peakRssBytes: 100 * 1024 * 1024 }) as unknown as SideWindow;

const round = (referenceP99: [number, number], keyledgerP99: number): SideRound => ({
  referenceFirst: windowOf('reference', referenceP99[0]),
  keyledger: windowOf('keyledger', keyledgerP99),
  referenceLast: windowOf('reference', referenceP99[1]),
  ratio: 0.8,
});

const row = (operation: SideRow['operation'], rounds: SideRound[]): SideRow => ({
  operation,
  request: 'test',
  rounds,
  referenceFirst: rounds[0].referenceFirst,
  keyledger: rounds[0].keyledger,
  referenceLast: rounds[0].referenceLast,
  ratio: 0.8,
});

describe('speedGoals: the p99 goal beside the bare reference server', () => {
  it("names Keyledger's highest p99 and the reference's range over all its windows, and how many were under 5 ms", () => {
    const side = {
      concurrency: 16,
      rows: [row('Encrypt', [round([6.1, 9.9], 9.7), round([4.5, 7.0], 8.0)]), row('Decrypt', [round([7.9, 8.9], 11.5)])],
    } as unknown as SideResults;
    const goal = speedGoals({ config: {} as SpeedResults['config'], side }).find((g) => g.goal.startsWith('Keyledger p99'))!;
    expect(goal).toEqual({
      goal: 'Keyledger p99 < 5 ms at 16 connections',
      measured: "highest 11.5 ms (Decrypt); the bare reference server's p99, same run: 4.50–9.90 ms, under 5 ms in 1 of its 6 windows",
      met: false,
    });
  });
});
