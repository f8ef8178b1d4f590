import { parseInstant, parseIsoTime } from '@keyledger/domain';

/** The REST routes read moments as the CLI does: one reader for both, in libs/domain/src/time.ts. */
export { parseInstant, parseIsoTime };

export const toIsoTime = (epochMillis: number): string => new Date(epochMillis).toISOString();
