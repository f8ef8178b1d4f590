import type { KeyCommand } from '@keyledger/domain';

/**
 * What the executor knew when `decide` refused a command: the key read and the command decided (including what
 * opening the import token revealed). Attached to the error object on its way out, so the refusal recorder can
 * describe the refusal precisely without the executor knowing about the audit trail.
 */
export interface RefusalFacts {
  keyId: string;
  /** The key stream's revision the refusal was decided against (-1: no such stream). */
  keyRevision: number;
  command: KeyCommand;
}

const factsByError = new WeakMap<object, RefusalFacts>();

export function noteRefusalFacts(error: unknown, facts: RefusalFacts): void {
  if (typeof error === 'object' && error !== null) factsByError.set(error, facts);
}

export function refusalFactsOf(error: unknown): RefusalFacts | undefined {
  return typeof error === 'object' && error !== null ? factsByError.get(error) : undefined;
}
