import type { RecordedEvent } from '@keyledger/event-store';

/** Recorded events of one key at fixed times, for the CLI's unit tests (timelines, state as of a moment). */
export const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
export const ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY}`;
export const FIRST = '3f2a9c01' + 'a'.repeat(56);
export const SECOND = '9b1c44e2' + 'b'.repeat(56);
export const T0 = Date.parse('2027-01-05T10:00:00.000Z');
export const at = (minutes: number) => T0 + minutes * 60_000;
export const iso = (minutes: number) => new Date(at(minutes)).toISOString();

export const event = (streamId: string, revision: number, minutes: number, type: string, data: object): RecordedEvent => ({
  streamId,
  revision,
  position: minutes + 1,
  type,
  data: data as RecordedEvent['data'],
  metadata: { timestamp: iso(minutes) },
  recordedAt: at(minutes),
});
export const keyEvent = (revision: number, minutes: number, type: string, data: object = {}) => event(`kms-key-${KEY}`, revision, minutes, type, data);
