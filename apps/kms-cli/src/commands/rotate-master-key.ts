import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { SqliteMaterialVault, type MasterKeyResealReport } from '@keyledger/application';
import { ChainingEventStore } from '@keyledger/audit';
import { InvalidMasterKeyError, MasterKey, MaterialSealer, type MasterKeyRing } from '@keyledger/crypto';
import { NO_STREAM, SqliteEventStore, WrongExpectedRevisionError, type EventStore, type JsonObject } from '@keyledger/event-store';
import { CliError } from '../cli-error';
import { eventLogFile } from '../event-log/read-only-event-log';
import { eventStoreDbTargetFromEnvironment, openEventStoreDbLog, openEventStoreDbVault, type EventStoreDbTarget } from '../eventstoredb-target';
import { resolveDataDir, withDataDir } from '../options';
import { writeLines } from '../output';

/** The log stream recording master key rotations (hash-chained like every stream). */
export const MASTER_KEY_STREAM_ID = 'keyledger-master-key';
export const MASTER_KEY_ROTATED = 'MasterKeyRotated.v1';
/** Exit code when material is still sealed under a previous key afterwards (run again). */
export const ROTATION_INCOMPLETE_EXIT_CODE = 1;

/** What both vaults report (the embedded one also says whether its WAL was truncated). */
type ResealReport = Omit<MasterKeyResealReport, 'walTruncated'>;

interface RotateOptions {
  dataDir?: string;
  dryRun?: boolean;
}

/**
 * `rotate-master-key`: re-seals the vault under KEYLEDGER_MASTER_KEY, from the keys in KEYLEDGER_PREVIOUS_MASTER_KEYS:
 * the embedded vault in the data directory, or the EventStoreDB vault when KEYLEDGER_EVENTSTORE_URL is set.
 */
export function register(program: Command): void {
  withDataDir(
    program
      .command('rotate-master-key')
      .description(
        'master key rotation: re-seal every key material sealed under a previous master key (KEYLEDGER_PREVIOUS_MASTER_KEYS) with the current one (KEYLEDGER_MASTER_KEY), beside a running service; on EventStoreDB when KEYLEDGER_EVENTSTORE_URL is set',
      )
      .addOption(new Option('--dry-run', 'only count the key materials per master key id; change nothing')),
  ).action(async (options: RotateOptions) => {
    const ring = masterKeyRingFromEnvironment(process.env);
    const eventStoreDb = eventStoreDbTargetFromEnvironment(process.env);
    if (eventStoreDb) await rotateOnEventStoreDb(eventStoreDb, ring, options.dryRun === true);
    else await rotateEmbedded(resolveDataDir(options.dataDir), ring, options.dryRun === true);
  });
}

async function rotateEmbedded(dataDir: string, ring: MasterKeyRing, dryRun: boolean): Promise<void> {
  const vaultFile = join(dataDir, 'vault.sqlite');
  if (!existsSync(vaultFile)) throw new CliError(`No material vault at ${vaultFile} (use --data-dir or DATA_DIR).`);
  const vault = openVault(vaultFile, ring);
  try {
    if (dryRun) {
      await writeLines(process.stdout, describeCounts(vault.countByMasterKeyId(), ring));
      return;
    }
    const report = vault.resealUnderCurrentMasterKey();
    if (report.rewrapped.length > 0 || report.remaining > 0) {
      const file = eventLogFile(dataDir);
      if (!existsSync(file)) throw new CliError(`No event log at ${file} (use --data-dir or DATA_DIR).`);
      await recordRotation(() => new ChainingEventStore(new SqliteEventStore({ filename: file })), report);
    }
    await writeLines(process.stdout, describeReport(report));
    if (report.remaining > 0) throw remainingError(report);
    if (!report.walTruncated) {
      throw new CliError(
        'the vault WAL could not be truncated (another reader held it), so it may still hold old blobs: run rotate-master-key again.',
        ROTATION_INCOMPLETE_EXIT_CODE,
      );
    }
  } finally {
    vault.close();
  }
}

/**
 * On EventStoreDB the re-sealed material is appended to its vault stream and the event goes to the deployment's
 * log. Superseded blobs (and those of deleted material) stay in the database files until a scavenge, sealed under
 * the old master key: destroying that key after the rotation is what makes them unrecoverable.
 */
async function rotateOnEventStoreDb(target: EventStoreDbTarget, ring: MasterKeyRing, dryRun: boolean): Promise<void> {
  const vault = await openEventStoreDbVault(target, ring);
  try {
    if (dryRun) {
      await writeLines(process.stdout, describeCounts(await vault.countByMasterKeyId(), ring));
      return;
    }
    const report = await vault.resealUnderCurrentMasterKey();
    if (report.rewrapped.length > 0 || report.remaining > 0) await recordRotation(() => openEventStoreDbLog(target), report);
    await writeLines(process.stdout, describeReport(report));
    if (report.remaining > 0) throw remainingError(report);
  } finally {
    await vault.close();
  }
}

function remainingError(report: ResealReport): CliError {
  return new CliError(
    `${report.remaining} key material(s) are still sealed under another master key (changed concurrently?): run rotate-master-key again.`,
    ROTATION_INCOMPLETE_EXIT_CODE,
  );
}

export function masterKeyRingFromEnvironment(env: NodeJS.ProcessEnv): MasterKeyRing {
  if (!env.KEYLEDGER_MASTER_KEY) {
    throw new CliError('KEYLEDGER_MASTER_KEY (the new master key) must be set, with the old one(s) in KEYLEDGER_PREVIOUS_MASTER_KEYS.');
  }
  const parse = (text: string, name: string): MasterKey => {
    try {
      return MasterKey.fromBase64(text);
    } catch (error) {
      throw new CliError(`${name} is unusable: ${error instanceof InvalidMasterKeyError ? error.message : 'it could not be read'}`);
    }
  };
  const current = parse(env.KEYLEDGER_MASTER_KEY, 'KEYLEDGER_MASTER_KEY');
  const previous = (env.KEYLEDGER_PREVIOUS_MASTER_KEYS ?? '')
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text.length > 0)
    .map((text, index) => parse(text, `KEYLEDGER_PREVIOUS_MASTER_KEYS entry ${index + 1}`))
    .filter((key) => key.id !== current.id);
  return { current, previous };
}

function openVault(file: string, ring: MasterKeyRing): SqliteMaterialVault {
  try {
    return new SqliteMaterialVault(file, new MaterialSealer(ring));
  } catch (error) {
    throw new CliError(`Cannot open the material vault ${file}: ${(error as Error).message}`);
  }
}

/** Appends MasterKeyRotated.v1 through a ChainingEventStore, exactly as the service appends (hash-chained). */
async function recordRotation(openLog: () => EventStore, report: ResealReport): Promise<void> {
  const store = openLog();
  const data = {
    fromMasterKeyIds: report.fromMasterKeyIds,
    toMasterKeyId: report.toMasterKeyId,
    rewrapped: report.rewrapped,
    remaining: report.remaining,
  } as unknown as JsonObject;
  try {
    for (let attempt = 1; ; attempt += 1) {
      const events = await store.readStream(MASTER_KEY_STREAM_ID);
      const expected = events.length > 0 ? events[events.length - 1].revision : NO_STREAM;
      const requestId = randomUUID();
      const metadata = {
        principal: { type: 'Operator', invokedBy: 'keyledger-cli' },
        requestId,
        correlationId: requestId,
        causationId: requestId,
        operation: 'RotateMasterKey',
        timestamp: Date.now(),
      };
      try {
        await store.appendToStream(MASTER_KEY_STREAM_ID, [{ type: MASTER_KEY_ROTATED, data, metadata }], expected);
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  } catch (error) {
    throw new CliError(`The vault was re-sealed, but recording ${MASTER_KEY_ROTATED} failed: ${(error as Error).message}`);
  } finally {
    await store.close();
  }
}

function describeReport(report: ResealReport): string[] {
  const from = report.fromMasterKeyIds.length > 0 ? ` (from master key ${report.fromMasterKeyIds.join(', ')})` : '';
  return [
    `Re-sealed ${report.rewrapped.length} key material(s) under master key ${report.toMasterKeyId}${from}.`,
    `${report.remaining} key material(s) remaining under another master key.`,
  ];
}

function describeCounts(counts: Record<string, number>, ring: MasterKeyRing): string[] {
  const role = (id: string) => (id === ring.current.id ? 'current' : ring.previous.some((key) => key.id === id) ? 'previous' : 'unknown');
  const ids = Object.keys(counts).sort();
  if (ids.length === 0) return ['The vault holds no key material.'];
  return [
    'master key id     role      rows',
    ...ids.map((id) => `${id.padEnd(16)}  ${role(id).padEnd(8)}  ${counts[id]}`),
    `${ids.filter((id) => id !== ring.current.id).reduce((sum, id) => sum + counts[id], 0)} row(s) would be re-sealed under ${ring.current.id}.`,
  ];
}
