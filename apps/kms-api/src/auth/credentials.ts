import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import { Logger } from '@nestjs/common';

/** One principal that may call Keyledger, from the credentials file. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The 12-digit account the principal acts in: every key, alias and record it touches belongs there. */
  accountId: string;
  /** What events record as the principal (e.g. an IAM ARN or a name); never what a request claims. */
  principal: string;
  /** When set, SigV4 requests must carry this X-Amz-Security-Token. */
  sessionToken?: string;
  /** When set, REST clients may send `Authorization: Bearer <token>` instead of signing. */
  bearerToken?: string;
}

/** LocalStack's convention, so local use works out of the box: `test`/`test` in account 000000000000 (or as configured). */
export const defaultCredential = (accountId = '000000000000'): Credential => ({
  accessKeyId: 'test',
  secretAccessKey: 'test',
  accountId,
  principal: `arn:aws:iam::${accountId}:root`,
});

export class CredentialsFileError extends Error {}

const ACCOUNT_ID = /^\d{12}$/;

/** Parses and checks a credentials file's text; the message names the entry at fault, never a secret. */
export function parseCredentials(text: string, source: string): Credential[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsFileError(`${source} is not valid JSON.`);
  }
  const list = (parsed as { credentials?: unknown } | null)?.credentials;
  if (!Array.isArray(list)) throw new CredentialsFileError(`${source} must be an object with a "credentials" list.`);
  const seen = new Set<string>();
  return list.map((entry: Record<string, unknown>, i) => {
    const at = `${source}: credentials[${i}]`;
    for (const field of ['accessKeyId', 'secretAccessKey', 'accountId', 'principal'] as const) {
      if (typeof entry?.[field] !== 'string' || entry[field] === '') throw new CredentialsFileError(`${at}.${field} must be a non-empty string.`);
    }
    for (const field of ['sessionToken', 'bearerToken'] as const) {
      if (entry[field] !== undefined && (typeof entry[field] !== 'string' || entry[field] === '')) throw new CredentialsFileError(`${at}.${field} must be a non-empty string when present.`);
    }
    if (!ACCOUNT_ID.test(entry.accountId as string)) throw new CredentialsFileError(`${at}.accountId must be 12 digits.`);
    if (seen.has(entry.accessKeyId as string)) throw new CredentialsFileError(`${at}.accessKeyId '${String(entry.accessKeyId)}' appears twice.`);
    seen.add(entry.accessKeyId as string);
    const { accessKeyId, secretAccessKey, accountId, principal, sessionToken, bearerToken } = entry as unknown as Credential;
    return { accessKeyId, secretAccessKey, accountId, principal, ...(sessionToken && { sessionToken }), ...(bearerToken && { bearerToken }) };
  });
}

export interface CredentialStoreOptions {
  /** Path of the credentials file (KEYLEDGER_CREDENTIALS_FILE); unset: only the default credential, if allowed. */
  file?: string;
  /** Whether `test`/`test` is accepted (development mode, unless turned off). */
  allowDefault: boolean;
  /** The account of `test`/`test`. */
  defaultAccountId?: string;
  /** How often the file is checked for changes. */
  pollIntervalMs?: number;
}

/**
 * The principals that may call Keyledger, by access key id and by bearer token. The file is read at start (a bad
 * file stops the service) and re-read when it changes; a bad edit is logged and the previous principals stay.
 */
export class CredentialStore {
  private readonly logger = new Logger(CredentialStore.name);
  private byAccessKey = new Map<string, Credential>();
  private byBearer = new Map<string, Credential>();

  constructor(private readonly options: CredentialStoreOptions) {
    this.install(this.read());
    if (options.file) {
      watchFile(options.file, { interval: options.pollIntervalMs ?? 1000, persistent: false }, () => this.reload());
    }
  }

  byAccessKeyId(accessKeyId: string): Credential | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  byBearerToken(token: string): Credential | undefined {
    return this.byBearer.get(token);
  }

  close(): void {
    if (this.options.file) unwatchFile(this.options.file);
  }

  private read(): Credential[] {
    const fromFile = this.options.file ? parseCredentials(this.readFile(this.options.file), this.options.file) : [];
    const fallback = defaultCredential(this.options.defaultAccountId);
    const defaults = this.options.allowDefault && !fromFile.some((c) => c.accessKeyId === fallback.accessKeyId) ? [fallback] : [];
    return [...fromFile, ...defaults];
  }

  private readFile(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CredentialsFileError(`Cannot read the credentials file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
    }
  }

  private reload(): void {
    try {
      const credentials = this.read();
      this.install(credentials);
      this.logger.log({ msg: 'credentials reloaded', file: this.options.file, principals: credentials.length });
    } catch (error) {
      this.logger.error({ msg: 'credentials file not reloaded; the previous principals stay', file: this.options.file, error: (error as Error).message });
    }
  }

  private install(credentials: Credential[]): void {
    this.byAccessKey = new Map(credentials.map((c) => [c.accessKeyId, c]));
    this.byBearer = new Map(credentials.filter((c) => c.bearerToken).map((c) => [c.bearerToken!, c]));
  }
}
