import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testCredentialsFile } from './test-credentials';

const ROOT = join(__dirname, '..', '..');
export const API_ENTRY = join(ROOT, 'bin', 'keyledger-api.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGTERM, and fails with the service's output unless it exits 0 (the graceful shutdown). */
  stopCleanly(): Promise<void>;
}

/** Runs the built service exactly as `npm start` does (node bin/keyledger-api.js), as a separate OS process. */
export async function startServiceProcess(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  if (!existsSync(join(ROOT, 'dist', 'apps', 'kms-api', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).');
  }
  const port = await freePort();
  const child = spawn(process.execPath, [API_ENTRY], {
    env: { PATH: process.env.PATH, KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0', KEYLEDGER_CREDENTIALS_FILE: testCredentialsFile(), ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  return {
    url,
    child,
    output: () => output,
    stop,
    stopCleanly: async () => {
      const code = await stop();
      if (code !== 0) throw new Error(`service exited with ${code} on SIGTERM; its output ended:\n${output.slice(-6000)}`);
    },
  };
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export async function runServiceExpectingFailure(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [API_ENTRY], { env: { PATH: process.env.PATH, PORT: String(await freePort()), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}
