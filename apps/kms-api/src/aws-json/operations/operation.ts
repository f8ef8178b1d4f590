import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { RequestContext } from '@keyledger/application';
import { KmsErrors } from '@keyledger/domain';
import { validateRequest } from '../aws-validation';

export interface Buses {
  commands: CommandBus;
  queries: QueryBus;
}

export type Operation = (body: Record<string, unknown>, ctx: RequestContext, buses: Buses) => Promise<object>;

/** An operation: validate the body into its DTO, then map it to one command or query and shape the answer. */
export function operation<T extends object>(dto: new () => T, run: (req: T, ctx: RequestContext, buses: Buses) => Promise<object>): Operation {
  return async (body, ctx, buses) => run(await validateRequest(dto, body), ctx, buses);
}

/**
 * Nitro Enclaves' Recipient needs an attestation document this service cannot verify; AWS's text for an invalid
 * one is UNCONFIRMED, so it is refused as the reference recommends (ValidationException, Appendix B #15).
 */
export function refuseRecipient(req: { Recipient?: object }): void {
  if (req.Recipient !== undefined) {
    throw KmsErrors.validation('The attestation document in Recipient cannot be verified: this service does not support Nitro Enclaves.');
  }
}
