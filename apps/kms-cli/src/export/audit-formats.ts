import type { AuditRow } from '../audit/audit-row';

export type ExportFormat = 'jsonl' | 'csv' | 'cloudtrail';
/** cloudtrail writes hourly files into a directory instead of lines (cloudtrail-files.ts). */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'cloudtrail'];

/** CSV columns, in order; `data` is the payload as JSON. */
export const CSV_COLUMNS = [
  'position',
  'stream_id',
  'revision',
  'key_id',
  'type',
  'time',
  'recorded_at',
  'principal',
  'principal_type',
  'account_id',
  'region',
  'request_id',
  'correlation_id',
  'operation',
  'outcome',
  'error_type',
  'error_message',
  'data',
] as const;

/** RFC 4180: quote a field when it holds a comma, a quote or a line break; double the quotes inside. */
export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(row: AuditRow): string {
  const cells = [
    row.position,
    row.streamId,
    row.revision,
    row.keyId,
    row.type,
    row.time,
    row.recordedAt,
    row.principalName,
    row.principal?.type,
    row.accountId,
    row.region,
    row.requestId,
    row.correlationId,
    row.operation,
    row.outcome,
    row.errorType,
    row.errorMessage,
    JSON.stringify(row.data),
  ];
  return cells.map(csvField).join(',');
}

/** Turns rows into the lines of one export format: a header line first for CSV, CRLF-terminated as RFC 4180 says. */
export function exportFormatter(format: Exclude<ExportFormat, 'cloudtrail'>): { header?: string; line: (row: AuditRow) => string } {
  if (format === 'csv') return { header: `${CSV_COLUMNS.join(',')}\r\n`, line: (row) => `${csvRecord(row)}\r\n` };
  return { line: (row) => `${JSON.stringify(row)}\n` };
}
