import { Get, Param, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { GetKeyHistory, KeyHistoryEntry, KeyHistoryPage } from '@keyledger/application';
import { KeyEventResource, KeyEventsResource } from '../dto/history-resources.dto';
import { KeyEventsQuery } from '../dto/key-requests.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiKeyResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toIsoTime } from '../validation/instant';

const toEventResource = (entry: KeyHistoryEntry): KeyEventResource => ({ ...entry, time: toIsoTime(entry.time) });

/** A key's history, read from its own stream: who did what, when, in answer to which request. */
@RestEndpoint('v1/keys/:keyId/events', 'key history')
export class KeyEventsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listKeyEvents', summary: "A key's events, oldest first", description: 'Paged by revision: follow `nextAfterRevision`.' })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyEventsResource, "A page of the key's events; ETag is the key's current revision.")
  @ApiProblems(400, 404, 500)
  async listKeyEvents(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: KeyEventsQuery,
  ): Promise<KeyEventsResource> {
    const ctx = this.contexts.identify(request, 'ListKeyEvents');
    const page: KeyHistoryPage = await this.queries.execute(
      new GetKeyHistory(ctx, keyId, {
        limit: Number(query.limit ?? 100),
        afterRevision: query.afterRevision === undefined ? undefined : Number(query.afterRevision),
      }),
    );
    response.setHeader('ETag', toETag(page.revision));
    return { keyId: page.keyId, revision: page.revision, events: page.entries.map(toEventResource), nextAfterRevision: page.nextAfterRevision };
  }
}
