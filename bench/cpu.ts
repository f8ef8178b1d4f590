import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { now } from './measure';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (USER_HZ) for /proc CPU times. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) used so far by a process, from /proc; undefined where unavailable. */
/** Resident set size of a process in bytes, from /proc; undefined where unavailable. */
export function processRssBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The highest VmRSS of a process seen during a window, sampled every `intervalMs` (VmHWM is the peak of the
 * process's whole life, set-up included, so a window needs its own samples).
 */
export class RssPeakSampler {
  private peak?: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number | undefined,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const rss = processRssBytes(this.pid);
    if (rss !== undefined && (this.peak === undefined || rss > this.peak)) this.peak = rss;
  }

  /** Stops sampling; the peak in bytes (undefined where /proc is unavailable). */
  stop(): number | undefined {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Whole-machine busy and steal CPU seconds so far (all cores), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; steal: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const tick = ticksPerSecond();
    return { busy: (user + nice + system + irq + softirq) / tick, steal: (steal ?? 0) / tick };
  } catch {
    return undefined;
  }
}

/** A thread's time on a core and waiting on the run queue for one, in seconds so far (`/proc/<pid>/task/<tid>/schedstat`). */
export interface ThreadSchedule {
  running: number;
  waiting: number;
}

/** The schedule of a process's main thread (its thread id is the process id); undefined where /proc is unavailable. */
export function mainThreadSchedule(pid: number | undefined): ThreadSchedule | undefined {
  if (pid === undefined) return undefined;
  try {
    const [running, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(running) && Number.isFinite(waiting) ? { running: running / 1e9, waiting: waiting / 1e9 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a process's main thread did during a window: CPU per request, time per request spent runnable but waiting
 * for a core, and the share of the window it was runnable at all. An event loop runnable nearly all the window is the
 * server's limit, whether it ran or waited for a core the other threads and processes held.
 */
export interface MainThreadUse {
  runningMsPerRequest: number;
  waitingMsPerRequest: number;
  /** (running + waiting) ÷ the window's length, 0–1. */
  runnableShare: number;
}

/** Measures a main thread over a window: restart() at its start, stop() at its end, then use() with its requests. */
export class MainThreadMeter {
  private start?: ThreadSchedule;
  private end?: ThreadSchedule;
  private startedAt = now();
  private seconds = 0;

  constructor(private readonly pid: number | undefined) {
    this.restart();
  }

  restart(): void {
    this.start = mainThreadSchedule(this.pid);
    this.end = undefined;
    this.startedAt = now();
  }

  stop(): void {
    this.end = mainThreadSchedule(this.pid);
    this.seconds = (now() - this.startedAt) / 1000;
  }

  /** Undefined where /proc is unavailable, before stop(), or when no request succeeded. */
  use(requests: number): MainThreadUse | undefined {
    const { start, end, seconds } = this;
    if (!start || !end || requests <= 0 || seconds <= 0) return undefined;
    const running = end.running - start.running;
    const waiting = end.waiting - start.waiting;
    return {
      runningMsPerRequest: (running * 1000) / requests,
      waitingMsPerRequest: (waiting * 1000) / requests,
      runnableShare: Math.min(1, (running + waiting) / seconds),
    };
  }
}

/** CPU used during a window, in % of one core (200% = both cores of a 2-core machine busy). */
export interface CpuUse {
  /** The service process(es) measured (summed when several instances run). */
  servicePercent?: number;
  /** The separate store process (the EventStoreDB protocol double), when there is one. */
  storePercent?: number;
  clientPercent: number;
  /** Everything else on the machine (other processes, kernel work not charged to the two). */
  otherPercent?: number;
  /** Time the hypervisor gave to other guests. */
  stealPercent?: number;
}

/** Summed CPU seconds of several processes; undefined if any of them cannot be read. */
function summedCpuSeconds(pids: Array<number | undefined>): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}

/**
 * Measures the CPU of the service (one or several instances), of a separate store process if any, of this
 * benchmark process and of the rest of the machine over a window.
 */
export class CpuMeter {
  private readonly servicePids: Array<number | undefined>;
  private serviceStart?: number;
  private storeStart?: number;
  private clientStart = process.cpuUsage();
  private machineStart?: { busy: number; steal: number };
  private startedAt = now();

  constructor(
    servicePid: number | undefined | Array<number | undefined>,
    private readonly storePid?: number,
  ) {
    this.servicePids = Array.isArray(servicePid) ? servicePid : [servicePid];
    this.restart();
  }

  restart(): void {
    this.serviceStart = summedCpuSeconds(this.servicePids);
    this.storeStart = this.storePid === undefined ? undefined : processCpuSeconds(this.storePid);
    this.machineStart = machineCpuSeconds();
    this.clientStart = process.cpuUsage();
    this.startedAt = now();
  }

  read(): CpuUse {
    const seconds = (now() - this.startedAt) / 1000;
    const serviceEnd = summedCpuSeconds(this.servicePids);
    const storeEnd = this.storePid === undefined ? undefined : processCpuSeconds(this.storePid);
    const machineEnd = machineCpuSeconds();
    const client = process.cpuUsage(this.clientStart);
    const clientSeconds = (client.user + client.system) / 1e6;
    const service = serviceEnd !== undefined && this.serviceStart !== undefined ? serviceEnd - this.serviceStart : undefined;
    const store = storeEnd !== undefined && this.storeStart !== undefined ? storeEnd - this.storeStart : undefined;
    const percent = (value: number) => (value / seconds) * 100;
    const use: CpuUse = { clientPercent: percent(clientSeconds) };
    if (service !== undefined) use.servicePercent = percent(service);
    if (store !== undefined) use.storePercent = percent(store);
    if (machineEnd && this.machineStart && service !== undefined) {
      use.otherPercent = Math.max(0, percent(machineEnd.busy - this.machineStart.busy - service - (store ?? 0) - clientSeconds));
      use.stealPercent = percent(machineEnd.steal - this.machineStart.steal);
    }
    return use;
  }
}

/** Busy CPU of the whole machine over `ms`, in % of one core; undefined where /proc is unavailable. */
export async function sampleMachineBusy(ms: number): Promise<number | undefined> {
  const start = machineCpuSeconds();
  const t0 = now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const end = machineCpuSeconds();
  if (!start || !end) return undefined;
  return ((end.busy - start.busy) / ((now() - t0) / 1000)) * 100;
}
