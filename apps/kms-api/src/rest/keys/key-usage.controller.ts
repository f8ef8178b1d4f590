import { Get, Param, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import { KeyUsagePage, ListKeyUsage, StoredUsageRecord } from '@keyledger/application';
import { KeyUsagePageResource, KeyUsageQuery, UsageRecordResource } from '../dto/usage-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiPlainResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { parseInstant } from '../validation/instant';

const optionalInstant = (text: string | undefined) => (text === undefined ? undefined : parseInstant(text));

const toUsageResource = (r: StoredUsageRecord): UsageRecordResource => ({
  cursor: r.cursor,
  keyId: r.keyId,
  keyArn: r.keyArn,
  operation: r.operation,
  keyMaterialId: r.keyMaterialId,
  principal: r.principal,
  requestId: r.requestId,
  time: r.time,
  outcome: r.outcome,
  errorType: r.errorType,
  encryptionContextHash: r.encryptionContextHash,
});

/** Who used a key, and when: its records in the usage log (the USAGE_LOG port), oldest first. */
@RestEndpoint('v1/keys/:keyId/usage', 'key usage')
export class KeyUsageController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listKeyUsage',
    summary: "A key's cryptographic uses and refused attempts, oldest first",
    description: 'Every Encrypt, Decrypt, GenerateDataKey*, ReEncrypt, Sign, Verify, ... with the key, filterable; follow `next`. Includes the caller\'s own uses up to this request.',
  })
  @ApiKeyIdParam()
  @ApiPlainResponse(KeyUsagePageResource, "A page of the key's usage records.")
  @ApiProblems(400, 404, 500)
  async listKeyUsage(@Req() request: RestRequest, @Param('keyId') keyId: string, @Query() query: KeyUsageQuery): Promise<KeyUsagePageResource> {
    const ctx = this.contexts.identify(request, 'ListKeyUsage');
    const page: KeyUsagePage = await this.queries.execute(
      new ListKeyUsage(ctx, keyId, {
        limit: Number(query.limit ?? 100),
        after: query.after,
        from: optionalInstant(query.from),
        to: optionalInstant(query.to),
        principal: query.principal,
        operation: query.operation,
      }),
    );
    return { records: page.records.map(toUsageResource), ...(page.next !== undefined && { next: page.next }) };
  }
}
