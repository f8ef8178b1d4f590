import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** A file of the console, read once at start: the console is a handful of small static files. */
export interface ConsoleAsset {
  contentType: string;
  body: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where apps/kms-api/console is: beside src/ when running from source (tests), copied into dist/ by the build
 * (package.json), or in the checkout when a build from before the copy runs from dist/.
 */
export function consoleDirectory(): string | undefined {
  const candidates = [join(__dirname, '..', '..', 'console'), join(__dirname, '..', '..', '..', '..', '..', 'apps', 'kms-api', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** The console's files by name; only these names are ever served (no path from a request reaches the file system). */
export function loadConsoleAssets(dir = consoleDirectory()): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  if (!dir) return assets;
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType) assets.set(name, { contentType, body: readFileSync(join(dir, name)) });
  }
  return assets;
}
