import { ChildProcess, spawn } from 'node:child_process';
import { processCpuSeconds, processRssBytes } from './cpu';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { benchAbort, now, sleep } from './measure';

export interface ServiceOptions {
  /** Short label, also the sub-directory of the temporary root. */
  name: string;
  repoDir: string;
  tempRoot: string;
  /** Service settings (KEYLEDGER_*), on top of PORT, HOST, DATA_DIR and LOG_FORMAT=json. */
  env: Record<string, string>;
  /** DATA_DIR to use instead of `<tempRoot>/<name>/data` (e.g. one directory shared by two instances). */
  dataDir?: string;
  startTimeoutMs?: number;
  /** The script to run, relative to repoDir (default the service, bin/keyledger-api.js; the bench's reference server is another). */
  script?: string;
}

export interface LogSummary {
  lines: number;
  byLevel: Record<string, number>;
  /** Distinct warn/error/fatal messages with how often they appeared. */
  problems: Array<{ level: string; message: string; count: number }>;
}

type LogEntry = { level?: string | number; message?: unknown; msg?: unknown; err?: { message?: string } };
const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Levels of routine output, counted but not reported as problems. */
const QUIET_LEVELS = new Set(['log', 'info', 'debug', 'verbose', 'trace']);

/** Settings the bench owns; inherited values would change what is measured. */
const OWN_VARIABLES = /^(PORT|HOST|DATA_DIR|LOG_FORMAT|KEYLEDGER_.*)$/;

/** A free loopback port (asked from the kernel, then released for the service to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

/**
 * The real service (`node bin/keyledger-api.js`) as a child process on a loopback port; with `script`, another
 * server that answers GET /health the same way (the bare reference server of the side-by-side comparison).
 */
export class ServiceProcess {
  private static readonly running = new Set<ServiceProcess>();
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** Set when the process ended without stop() having been called (crash, or killed from outside). */
  exitedUnexpectedly = false;
  private stopping = false;
  private healthy = false;
  startupMs = 0;
  shutdownMs = 0;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
    readonly dataDir: string,
    readonly logFile: string,
    readonly env: Record<string, string>,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        if (!this.stopping && this.healthy) {
          this.exitedUnexpectedly = true;
          // Measuring a dead service only produces connection errors: stop every loop now.
          benchAbort.abort();
        }
        ServiceProcess.running.delete(this);
        resolve();
      });
    });
  }

  get hasExited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  /** Starts the service and waits for GET /health; retries once on another port if it dies while starting. */
  static async start(options: ServiceOptions): Promise<ServiceProcess> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const service = await ServiceProcess.spawn(options, attempt);
      try {
        await service.waitHealthy(options.startTimeoutMs ?? 30_000);
        return service;
      } catch (error) {
        lastError = error as Error;
        await service.stop();
        if (!service.hasExitedEarly) break;
      }
    }
    throw lastError ?? new Error('the service did not start');
  }

  /** Stops every service still running (for SIGINT and fatal errors). */
  static async stopAll(): Promise<void> {
    await Promise.all([...ServiceProcess.running].map((service) => service.stop()));
  }

  private hasExitedEarly = false;

  private static async spawn(options: ServiceOptions, attempt: number): Promise<ServiceProcess> {
    const dir = join(options.tempRoot, attempt === 1 ? options.name : `${options.name}-${attempt}`);
    const dataDir = options.dataDir ?? join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'service.log');
    const port = await freePort();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !OWN_VARIABLES.test(key)));
    const serviceEnv = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_FORMAT: 'json', ...options.env };
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [join(options.repoDir, options.script ?? join('bin', 'keyledger-api.js'))], {
        cwd: options.repoDir,
        env: { ...inherited, ...serviceEnv },
        stdio: ['ignore', fd, fd],
      });
      const service = new ServiceProcess(options.name, child, `http://127.0.0.1:${port}`, dataDir, logFile, serviceEnv);
      ServiceProcess.running.add(service);
      return service;
    } finally {
      closeSync(fd);
    }
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const start = now();
    while (now() - start < timeoutMs) {
      if (this.hasExited) {
        this.hasExitedEarly = true;
        throw new Error(`The ${this.name} service exited while starting (code ${this.exitCode}, signal ${this.exitSignal}). Log tail:\n${this.logTail()}`);
      }
      try {
        const { status, body } = await httpGet(`${this.url}/health`, 1000);
        if (status === 200 && (JSON.parse(body) as { status?: string }).status === 'ok') {
          this.startupMs = now() - start;
          this.healthy = true;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`The ${this.name} service did not answer GET /health within ${timeoutMs} ms. Log tail:\n${this.logTail()}`);
  }

  async health(): Promise<unknown> {
    return JSON.parse((await httpGet(`${this.url}/health`, 5000)).body);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.hasExited) return;
    const start = now();
    this.child.kill('SIGTERM');
    const killed = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (killed && !this.hasExited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.shutdownMs = now() - start;
  }

  /** CPU seconds (user + system) the service process has used so far; undefined where /proc is unavailable. */
  cpuSeconds(): number | undefined {
    return processCpuSeconds(this.child.pid);
  }

  /** Resident set size in bytes, from /proc; undefined where unavailable. */
  rssBytes(): number | undefined {
    return processRssBytes(this.child.pid);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Counts the JSON log lines by level and collects the distinct warnings and errors. */
  logSummary(): LogSummary {
    const summary: LogSummary = { lines: 0, byLevel: {}, problems: [] };
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return summary;
    }
    const problems = new Map<string, { level: string; message: string; count: number }>();
    const record = (level: string, message: string): void => {
      const key = `${level}|${message}`;
      const entry = problems.get(key) ?? { level, message: message.slice(0, 300), count: 0 };
      entry.count += 1;
      problems.set(key, entry);
    };
    // Lines that are not JSON log entries (a crash trace on stderr) are reported as one block each: the error line and where it was thrown.
    let block: string[] = [];
    const flushBlock = (): void => {
      if (block.length === 0) return;
      const error = block.find((l) => /\b\w*Error\b|Exception|^Error/.test(l))?.trim() ?? block[0].trim();
      const where = block.find((l) => /^\s+at /.test(l))?.trim().replace(/\/\S*\/node_modules\//g, 'node_modules/');
      record('stderr', `${block.length} lines of non-JSON output: ${error}${where ? `, ${where}` : ''}`);
      block = [];
    };
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      summary.lines += 1;
      let entry: LogEntry | undefined;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object') entry = parsed as LogEntry;
      } catch {
        // plain text (e.g. a crash trace)
      }
      if (!entry) {
        summary.byLevel.unparsed = (summary.byLevel.unparsed ?? 0) + 1;
        block.push(line);
        continue;
      }
      flushBlock();
      // Nest's JSON logger ({ level: 'warn', message }) or pino ({ level: 40, msg, err }).
      const level = typeof entry.level === 'number' ? (PINO_LEVELS[entry.level] ?? String(entry.level)) : (entry.level ?? 'unknown');
      const m = (entry.message ?? entry.msg) as { msg?: string; error?: string } | string | undefined;
      const text = typeof m === 'string' ? m : m?.msg ? `${m.msg}${m.error ? `: ${m.error}` : ''}` : (JSON.stringify(m) ?? '(no message)');
      const message = entry.err?.message && !text.includes(entry.err.message) ? `${text}: ${entry.err.message}` : text;
      summary.byLevel[level] = (summary.byLevel[level] ?? 0) + 1;
      if (!QUIET_LEVELS.has(level)) record(level, message);
    }
    flushBlock();
    summary.problems = [...problems.values()];
    return summary;
  }
}
