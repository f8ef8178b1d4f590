import type { CpuUse, MainThreadUse } from './cpu';
import type { LatencyStats } from './measure';

/** Number formatting shared by the report renderers. */
export const ms = (value: number): string => {
  if (!Number.isFinite(value)) return '–';
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
};
export const rate = (value: number): string => (!Number.isFinite(value) ? '–' : value < 100 ? value.toFixed(1) : value.toFixed(0));
export const pct = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(0)}%`);
export const us = (msValue: number | undefined): string => (msValue === undefined || !Number.isFinite(msValue) ? 'n/a' : `${(msValue * 1000).toFixed(0)} µs`);
/** An event loop thread's time per request on a core + waiting for one (MainThreadUse). */
export const mainThreadCost = (use: Pick<MainThreadUse, 'runningMsPerRequest' | 'waitingMsPerRequest'> | undefined): string =>
  use === undefined ? 'n/a' : `${us(use.runningMsPerRequest)} + ${us(use.waitingMsPerRequest)}`;
export const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);
export const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
/** service / client / other / steal */
export const cpu = (use: CpuUse): string => `${pct(use.servicePercent)} / ${pct(use.clientPercent)} / ${pct(use.otherPercent)} / ${pct(use.stealPercent)}`;
/** service / store process / client / other / steal ("–" for the store when it runs inside the service) */
export const cpuWithStore = (use: CpuUse): string =>
  `${pct(use.servicePercent)} / ${use.storePercent === undefined ? '–' : pct(use.storePercent)} / ${pct(use.clientPercent)} / ${pct(use.otherPercent)} / ${pct(use.stealPercent)}`;
export const errors = (count: number, first?: string): string => (count === 0 ? '0' : `${count} (${(first ?? '').replace(/\|/g, '/')})`);
export const latencyCells = (stats: LatencyStats): string[] => [ms(stats.p50), ms(stats.p95), ms(stats.max)];
export const p50p95 = (stats: LatencyStats): string => `${ms(stats.p50)} / ${ms(stats.p95)}`;

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** CPU milliseconds per successful operation for one side, from a window's CPU % and its throughput. */
export function cpuMsPerOp(percent: number | undefined, perSecond: number): number | undefined {
  if (percent === undefined || !(perSecond > 0)) return undefined;
  return (percent / 100) * (1000 / perSecond);
}

const perOp = (percent: number | undefined, perSecond: number): string => {
  const value = cpuMsPerOp(percent, perSecond);
  return value === undefined ? 'n/a' : ms(value);
};

/** service / client CPU ms per operation */
export const cpuPerOp = (use: CpuUse, perSecond: number): string => `${perOp(use.servicePercent, perSecond)} / ${perOp(use.clientPercent, perSecond)}`;
/** service / store process / client CPU ms per operation */
export const cpuPerOpWithStore = (use: CpuUse, perSecond: number): string =>
  `${perOp(use.servicePercent, perSecond)} / ${use.storePercent === undefined ? '–' : perOp(use.storePercent, perSecond)} / ${perOp(use.clientPercent, perSecond)}`;
