import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { processCpuSeconds, processRssBytes } from './cpu';
import { benchAbort, now, sleep } from './measure';

/**
 * The EventStoreDB protocol DOUBLE (libs/event-store/src/testing/eventstoredb-double, an in-memory gRPC test
 * fixture, not a real server) as a child process of its own on a loopback port, so the services reach it over
 * gRPC exactly as they would reach a server, and its CPU can be measured apart from theirs.
 *
 * Started with --exit-on-stdin-close and a stdin pipe from this process: if the benchmark dies without
 * stopping it, the pipe closes and the double exits by itself.
 */
export class EventStoreDoubleProcess {
  private static readonly running = new Set<EventStoreDoubleProcess>();
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  exitedUnexpectedly = false;
  startupMs = 0;
  private stopping = false;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
    readonly connectionString: string,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exitCode = code;
        this.exitSignal = signal;
        if (!this.stopping) {
          this.exitedUnexpectedly = true;
          benchAbort.abort();
        }
        EventStoreDoubleProcess.running.delete(this);
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
  }

  get hasExited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  /** Starts the double on a free loopback port and waits for its `EVENTSTORE_DOUBLE_READY <url>` line. */
  static async start(options: { repoDir: string; dir: string; startTimeoutMs?: number }): Promise<EventStoreDoubleProcess> {
    mkdirSync(options.dir, { recursive: true });
    const logFile = join(options.dir, 'eventstore-double.log');
    const script = join(options.repoDir, 'libs', 'event-store', 'src', 'testing', 'eventstoredb-double', 'run-standalone.js');
    const fd = openSync(logFile, 'a');
    const started = now();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [script, '--host', '127.0.0.1', '--port', '0', '--exit-on-stdin-close'], {
        cwd: options.repoDir,
        stdio: ['pipe', 'pipe', fd],
      });
    } finally {
      closeSync(fd);
    }
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const connectionString = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error(`the EventStoreDB protocol double did not report ready within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.kill('SIGKILL');
        reject(error);
      };
      child.once('exit', (code, signal) => fail(new Error(`the EventStoreDB protocol double exited while starting (code ${code}, signal ${signal}); log: ${logFile}`)));
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        buffered += chunk;
        const line = buffered.split('\n').find((l) => l.startsWith('EVENTSTORE_DOUBLE_READY '));
        if (!line) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // Keep draining stdout so the double never blocks on a full pipe.
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(line.slice('EVENTSTORE_DOUBLE_READY '.length).trim());
      });
    });
    const double = new EventStoreDoubleProcess(child, logFile, connectionString);
    double.startupMs = now() - started;
    const url = new URL(connectionString.replace(/^esdb(\+discover)?:/, 'http:'));
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
      await double.stop();
      throw new Error(`the double listens on ${url.hostname}, not on loopback`);
    }
    EventStoreDoubleProcess.running.add(double);
    return double;
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...EventStoreDoubleProcess.running].map((double) => double.stop()));
  }

  /** SIGTERM (and stdin closed), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.hasExited) return;
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const killed = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (killed && !this.hasExited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  cpuSeconds(): number | undefined {
    return processCpuSeconds(this.child.pid);
  }

  rssBytes(): number | undefined {
    return processRssBytes(this.child.pid);
  }
}
