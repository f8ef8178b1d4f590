import { GetKeyLastUsage, KeyLastUsage } from '@keyledger/application';
import { GetKeyLastUsageRequest } from '../dto/signing.dto';
import { compact, toTimestamp } from '../wire';
import { Operation, operation } from './operation';

export const USAGE_OPERATIONS: Record<string, Operation> = {
  /**
   * The key's last successful cryptographic use, from the usage log. CloudTrailEventId is omitted: uses are
   * recorded in Keyledger's usage log, not in CloudTrail.
   */
  GetKeyLastUsage: operation(GetKeyLastUsageRequest, async (req, ctx, { queries }) => {
    const usage: KeyLastUsage = await queries.execute(new GetKeyLastUsage(ctx, req.KeyId));
    return compact({
      KeyId: usage.keyArn,
      KeyLastUsage: usage.lastUse && {
        Operation: usage.lastUse.operation,
        Timestamp: toTimestamp(Date.parse(usage.lastUse.time)),
        KmsRequestId: usage.lastUse.requestId,
      },
      TrackingStartDate: toTimestamp(usage.trackingStartDate),
      KeyCreationDate: toTimestamp(usage.keyCreationDate),
    });
  }),
};
