#!/usr/bin/env node
/**
 * Runs the EventStoreDB protocol double (a TEST FIXTURE, not a database) as a process of its own, so that
 * several Keyledger processes can share one "EventStoreDB" in multi-instance tests:
 *
 *   node libs/event-store/src/testing/eventstoredb-double/run-standalone.js [--port 2113] [--host 0.0.0.0] [--no-batch-append] [--control-stdin]
 *
 * Prints `EVENTSTORE_DOUBLE_READY <connection string>` on one line once it listens (--port 0 or no --port
 * picks a free port). SIGUSR2 drops every active subscription (to exercise resumption); SIGINT/SIGTERM stop
 * it, and so does closing its stdin when started with --exit-on-stdin-close. Everything is in memory.
 *
 * With --control-stdin, each line on stdin is a command, answered with `EVENTSTORE_DOUBLE_DONE <command>`:
 * `shutdown` (off the network, keeping its log), `restart` (same port, same log), `stall`, `stall-writes`
 * (appends written, answers withheld; reads answered), `unstall`, `drop` (drop subscriptions).
 *
 * Plain JavaScript on purpose: tsconfig.build.json leaves testing/ out of the build, so this launcher
 * compiles the double's TypeScript in memory with the `typescript` devDependency (no ts-node needed).
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};

function parseArguments(argv) {
  const options = { host: '127.0.0.1', port: 0, advertiseBatchAppend: true, exitOnStdinClose: false, controlStdin: false };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === '--port') options.port = Number(argv[++i]);
    else if (argument === '--host') options.host = argv[++i];
    else if (argument === '--no-batch-append') options.advertiseBatchAppend = false;
    else if (argument === '--exit-on-stdin-close') options.exitOnStdinClose = true;
    else if (argument === '--control-stdin') options.controlStdin = true;
    else throw new Error(`Unknown argument '${argument}'`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error('--port needs an integer between 0 and 65535');
  }
  return options;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const { startEventStoreDbDouble } = require('./index.ts');
  const double = await startEventStoreDbDouble({
    host: options.host,
    port: options.port,
    advertiseBatchAppend: options.advertiseBatchAppend,
  });
  let stopping = false;
  let pending = Promise.resolve();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pending;
    await double.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.on('SIGUSR2', () => double.dropSubscriptions());
  if (options.exitOnStdinClose) {
    process.stdin.on('end', stop).resume();
  }
  if (options.controlStdin) {
    const commands = {
      shutdown: () => double.shutDown(),
      restart: () => double.restart(),
      stall: () => double.stall(),
      'stall-writes': () => double.stall({ commitWrites: true, reads: false }),
      unstall: () => double.unstall(),
      drop: () => double.dropSubscriptions(),
    };
    // One command at a time, in order.
    require('node:readline')
      .createInterface({ input: process.stdin })
      .on('line', (line) => {
        const command = line.trim();
        pending = pending.then(async () => {
          if (!commands[command]) return void process.stderr.write(`Unknown command '${command}'\n`);
          await commands[command]();
          process.stdout.write(`EVENTSTORE_DOUBLE_DONE ${command}\n`);
        });
      });
  }
  process.stdout.write(`EVENTSTORE_DOUBLE_READY ${double.connectionString}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
