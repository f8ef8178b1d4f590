import type { LoggerService } from '@nestjs/common';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import type PinoPretty from 'pino-pretty';

import type { LogLevel } from './log-levels';

export interface LoggingConfig {
  logLevel: LogLevel;
  logFormat: 'json' | 'text';
}

/** Nest's own start-up chatter (modules loaded, every route mapped): debug, so info shows the banner alone. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * The one structured logger (pino): JSON lines by default, human-readable lines with LOG_FORMAT=text. JSON lines are
 * gathered and written in pieces (what is pending is written when the process exits), so a request does not wait for
 * its own line.
 */
export function createRootLogger(config: LoggingConfig, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'keyledger' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  if (config.logLevel === 'silent') return pino(options); // nothing is written: no stream, no flush timer
  if (config.logFormat === 'text') {
    // Loaded only for LOG_FORMAT=text: pino-pretty and its dependencies (~40 modules) stay out of a JSON service.
    const pinoPretty = require('pino-pretty') as typeof PinoPretty;
    return pino(options, pinoPretty({ colorize: false, sync: true, translateTime: 'SYS:standard', ignore: 'service' }));
  }
  // Lines are gathered up to 4 KiB and written at least every LOG_FLUSH_INTERVAL_MS: one write per many requests
  // instead of one per access-log line. Written synchronously, as Node writes process.stdout to files and pipes on
  // Linux: handing each 4 KiB to the thread pool (fs.write) cost 5-8 % of the service CPU per request at 16
  // connections, one pool thread woken per write (a 5-round bench:compare, 2026-12-06).
  const stdout = pino.destination({ dest: 1, sync: true, minLength: 4096 });
  // The flush timer is armed by the first line after a flush, not kept running: an idle service is not woken for it.
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    stdout.flush();
  };
  // pino's logger.flush() calls the stream's: what is gathered is written at once.
  const gathering: pino.DestinationStream & { flush(): void } = {
    write(line: string) {
      flushTimer ??= setTimeout(flush, LOG_FLUSH_INTERVAL_MS).unref();
      stdout.write(line);
    },
    flush,
  };
  // pino writes what is pending at exit only for asynchronous destinations: the lines still gathered are written here.
  process.on('exit', () => {
    try {
      stdout.flushSync();
    } catch {
      // stdout is closed: nothing more can be written.
    }
  });
  return pino(options, gathering);
}

/** The longest a log line waits in the buffer. */
export const LOG_FLUSH_INTERVAL_MS = 100;

/** nestjs-pino's Nest logger over our root logger, with the framework's start-up lines moved to debug. */
class KeyledgerNestLogger extends PinoNestLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) return this.debug(message, ...optionalParams);
    return super.log(message, ...optionalParams);
  }
}

/** The LoggerService Nest and every `new Logger(context)` in the code write through. */
export function createNestLogger(root: pino.Logger): LoggerService {
  const params = { pinoHttp: { logger: root } };
  return new KeyledgerNestLogger(new PinoLogger(params), params);
}
