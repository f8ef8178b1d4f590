import { Get, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import { SearchAuditLog, VisibleAuditPage } from '@keyledger/application';
import { AuditSearchQuery } from '../dto/audit-requests.dto';
import { AuditPageResource } from '../dto/history-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiPlainResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { parseInstant } from '../validation/instant';

const optionalNumber = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const optionalInstant = (text: string | undefined) => (text === undefined ? undefined : parseInstant(text));

/** The cross-key audit trail of the caller's account, from the audit read model (the AUDIT_LOG port). */
@RestEndpoint('v1/audit', 'audit')
export class AuditController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'searchAuditLog',
    summary: "Search the account's audit trail",
    description: 'Recorded changes and refused requests across keys, oldest first, filterable; follow `nextAfterPosition`.',
  })
  @ApiPlainResponse(AuditPageResource, 'A page of audit records.')
  @ApiProblems(400, 500, 503)
  async searchAuditLog(@Req() request: RestRequest, @Query() query: AuditSearchQuery): Promise<AuditPageResource> {
    const ctx = this.contexts.identify(request, 'SearchAuditLog');
    const page: VisibleAuditPage = await this.queries.execute(
      new SearchAuditLog(ctx, {
        keyId: query.keyId,
        type: query.type,
        principal: query.principal,
        from: optionalInstant(query.from),
        to: optionalInstant(query.to),
        afterPosition: optionalNumber(query.afterPosition),
        limit: Number(query.limit ?? 100),
      }),
    );
    return {
      records: page.records.map((r) => ({
        position: r.position,
        streamId: r.streamId,
        revision: r.revision,
        keyId: r.keyId,
        type: r.type,
        time: r.time,
        principal: r.principal,
        requestId: r.requestId,
        operation: r.operation,
        outcome: r.outcome,
        errorType: r.errorType,
        errorMessage: r.errorMessage,
        data: r.data,
      })),
      nextAfterPosition: page.nextAfterPosition,
    };
  }
}
