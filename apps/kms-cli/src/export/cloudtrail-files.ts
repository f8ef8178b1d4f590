import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RecordedEvent } from '@keyledger/event-store';
import { principalOf } from '../audit/audit-row';
import type { AuditFilter } from './audit-filter';
import { keyEventRecord, isRefusal, isUsageEvent, refusalRecord, usageRecords, type CloudTrailRecord } from './cloudtrail-records';

const HOUR_MS = 3_600_000;

/** One delivery file: the records of one account and region whose eventTime falls in one hour. */
interface HourFile {
  accountId: string;
  region: string;
  hourStart: number;
  records: CloudTrailRecord[];
}

/** `20261205T0500Z`: the hour in CloudTrail's file-name form. */
function stamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/**
 * Collects records into hourly files laid out as CloudTrail delivers them to S3:
 * `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmm>Z_<unique>.json.gz`,
 * each `{"Records":[...]}` in time order, gzipped. The unique part is a hash of the content, so exporting the
 * same log twice writes the same files.
 */
export class CloudTrailFiles {
  private readonly files = new Map<string, HourFile>();
  private count = 0;

  add(record: CloudTrailRecord): void {
    const hourStart = Math.floor(Date.parse(record.eventTime) / HOUR_MS) * HOUR_MS;
    const id = `${record.recipientAccountId}/${record.awsRegion}/${hourStart}`;
    let file = this.files.get(id);
    if (!file) this.files.set(id, (file = { accountId: record.recipientAccountId, region: record.awsRegion, hourStart, records: [] }));
    file.records.push(record);
    this.count += 1;
  }

  get recordCount(): number {
    return this.count;
  }

  /** Writes every file (each to a temporary name, then renamed: a file is there whole or not at all). Returns their paths. */
  writeTo(outDir: string): string[] {
    const written: string[] = [];
    for (const file of [...this.files.values()].sort((a, b) => a.hourStart - b.hourStart || a.accountId.localeCompare(b.accountId))) {
      file.records.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
      const json = JSON.stringify({ Records: file.records });
      const day = new Date(file.hourStart).toISOString().slice(0, 10).split('-');
      const dir = join(outDir, 'AWSLogs', file.accountId, 'CloudTrail', file.region, ...day);
      const unique = createHash('sha256').update(json).digest('hex').slice(0, 16).toUpperCase();
      const path = join(dir, `${file.accountId}_CloudTrail_${file.region}_${stamp(file.hourStart)}_${unique}.json.gz`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.partial-${process.pid}`, gzipSync(json));
      renameSync(`${path}.partial-${process.pid}`, path);
      written.push(path);
    }
    return written;
  }
}

/** The export's filters applied to one use of a key (a usage batch holds uses of many keys by many callers). */
function usageMatches(record: CloudTrailRecord, filter: AuditFilter): boolean {
  if (filter.keyId !== undefined && !record.resources.some((r) => r.ARN.endsWith(`:key/${filter.keyId}`))) return false;
  if (filter.principal !== undefined && record.userIdentity.accessKeyId !== filter.principal) return false;
  const time = Date.parse(record.eventTime);
  if (filter.from !== undefined && time < Math.floor(filter.from / 1000) * 1000) return false;
  if (filter.to !== undefined && time >= filter.to) return false;
  if (filter.types !== undefined && !filter.types.some((type) => type.replace(/\.v\d+$/, '') === 'KeyUsageRecorded')) return false;
  return true;
}

/**
 * Turns the log, in order, into CloudTrail records: consecutive events of one stream recorded for one request by
 * one principal are one API call (one record); refusals and each use of a key are records of their own; log
 * digests are not KMS calls and are left out.
 */
export class CloudTrailConverter {
  private pending: RecordedEvent[] = [];

  constructor(
    private readonly files: CloudTrailFiles,
    private readonly matches: (event: RecordedEvent) => boolean,
    private readonly filter: AuditFilter,
  ) {}

  add(event: RecordedEvent): void {
    if (isUsageEvent(event)) {
      for (const record of usageRecords(event)) if (usageMatches(record, this.filter)) this.files.add(record);
      return;
    }
    if (!this.matches(event)) return;
    if (isRefusal(event)) {
      const record = refusalRecord(event);
      if (record) this.files.add(record);
      return;
    }
    if (this.pending.length > 0 && !sameCall(this.pending[this.pending.length - 1], event)) this.flush();
    this.pending.push(event);
  }

  /** Call after the last event. */
  flush(): void {
    if (this.pending.length === 0) return;
    const record = keyEventRecord(this.pending);
    if (record) this.files.add(record);
    this.pending = [];
  }
}

function sameCall(a: RecordedEvent, b: RecordedEvent): boolean {
  return (
    a.streamId === b.streamId &&
    a.metadata.requestId !== undefined &&
    a.metadata.requestId === b.metadata.requestId &&
    principalOf(a)?.type === principalOf(b)?.type &&
    a.type !== 'LogDigest.v1'
  );
}
