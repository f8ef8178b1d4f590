import { AuditEventTypes, REFUSAL_STREAM_PREFIX } from '@keyledger/audit';
import { ALIAS_STREAM_PREFIX, KEY_STREAM_PREFIX } from '@keyledger/domain';
import { createAuditIndexesSql, dropAuditIndexesSql } from './audit-schema';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const hasPrefix = (prefix: string): string => `substr(stream_id, 1, ${prefix.length}) = ${literal(prefix)}`;
/** A JSON member when it is a string, else NULL (`text()` in audit-record.ts). */
const jsonText = (column: string, path: string): string => `CASE WHEN json_type(${column}, '${path}') = 'text' THEN json_extract(${column}, '${path}') END`;
/** `value ?? fallback` on JSON members: the fallback only when the first is missing or null. */
const jsonPresent = (column: string, path: string): string => `coalesce(json_type(${column}, '${path}'), 'null') <> 'null'`;

/**
 * `auditIndexEntry` (audit-record.ts) as one SQL query over an embedded log's `events` table, for a bulk load
 * that never brings the events into JavaScript: the replay builds the audit index with it in a thread of its
 * own. It selects (position, key_id, type, time, principal) for the listed events with `? < position <= ?`.
 * audit-index-sql.spec.ts holds it equal to `auditIndexEntry` on every kind of event, malformed ones included.
 *
 * One difference by design: the time is parsed by SQLite, which reads the ISO 8601 UTC timestamps the service
 * writes exactly as Date.parse does, but returns NULL (so the commit time is used) for the other formats that
 * Date.parse would accept, which Keyledger never writes.
 */
export function auditIndexSelectSql(logSchema: string): string {
  const aliasTarget = `CASE WHEN ${jsonPresent('data', '$.target.keyId')} THEN ${jsonText('data', '$.target.keyId')} ELSE ${jsonText('data', '$.targetKeyId')} END`;
  const streamKey = `CASE WHEN ${hasPrefix(KEY_STREAM_PREFIX)} THEN substr(stream_id, ${KEY_STREAM_PREFIX.length + 1}) WHEN ${hasPrefix(ALIAS_STREAM_PREFIX)} THEN ${aliasTarget} END`;
  const refused = `(${hasPrefix(REFUSAL_STREAM_PREFIX)} AND type = ${literal(AuditEventTypes.RequestRefused)})`;
  const stamped = `CAST(round(unixepoch(${jsonText('metadata', '$.timestamp')}, 'subsec') * 1000) AS INTEGER)`;
  const principal = `CASE WHEN json_type(metadata, '$.principal') = 'object' THEN coalesce(json_extract(metadata, '$.principal.accessKeyId'), json_extract(metadata, '$.principal.invokedBy')) END`;
  return `SELECT position, coalesce(stream_key, ${jsonText('data', '$.keyId')}) AS key_id, type, coalesce(${stamped}, recorded_at) AS time, ${principal} AS principal
    FROM (SELECT *, ${streamKey} AS stream_key, ${refused} AS refused FROM ${logSchema}.events WHERE position > ? AND position <= ?)
    WHERE stream_key IS NOT NULL OR refused
    ORDER BY position`;
}

/** A bulk load a connection runs on its own: `before`, then `insert` once per position range (after, until], then `after`. */
export interface SqlBulkLoad {
  before: string[];
  insert: string;
  after: string[];
}

/** The audit index loaded from an embedded log attached as `logSchema`: indexes dropped, rows inserted, indexes built once. */
export function auditIndexBulkLoad(logSchema: string): SqlBulkLoad {
  return {
    before: dropAuditIndexesSql(),
    insert: `INSERT OR IGNORE INTO audit_entries (position, key_id, type, time, principal) ${auditIndexSelectSql(logSchema)}`,
    after: createAuditIndexesSql(),
  };
}
