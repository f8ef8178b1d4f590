import { Body, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { GetKeyRevision, KeyChangeResult, KeyRevision, ListResourceTags, TagResource, UntagResource } from '@keyledger/application';
import type { Tag } from '@keyledger/domain';
import { ListTagsQuery, TagKeyBody, UntagKeyQuery } from '../dto/lifecycle-requests.dto';
import { KeyTagsResource } from '../dto/lifecycle-resources.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiIfMatch, ApiKeyIdParam, ApiKeyResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toTagResources, withRevision } from './key-change-representation';

/** ListResourceTags' documented page size (1..50), as on the AWS endpoint. */
const MAX_TAG_PAGE = 50;

const TAG_400 =
  'The request is invalid (ValidationException, SerializationException, InvalidMarkerException), or a tag rule refuses it (TagException): ' +
  'a key starting with `aws:`, the same key twice, more than 50 tags on the key.';
const STATE_409 = "The key's state does not allow it (KMSInvalidStateException), e.g. a key pending deletion.";

/**
 * A key's tags: ListResourceTags, TagResource and UntagResource of the AWS endpoint. Changes take If-Match and
 * answer with all of the key's tags as the change left them (50 at most) and the new revision in ETag.
 */
@RestEndpoint('v1/keys/:keyId/tags', 'key tags')
export class KeyTagsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listKeyTags', summary: "The key's tags (ListResourceTags)", description: 'In the order their keys were first added, in pages: follow `nextMarker`.' })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyTagsResource, "A page of the key's tags; ETag is the key's revision.")
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 500)
  async listKeyTags(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: ListTagsQuery,
  ): Promise<KeyTagsResource> {
    const ctx = this.contexts.identify(request, 'ListResourceTags');
    // The revision first: its query waits until the read model includes it, so the ETag is never newer than the body.
    const { revision }: KeyRevision = await this.queries.execute(new GetKeyRevision(ctx, keyId));
    const page: { tags: Tag[]; nextMarker?: string } = await this.queries.execute(
      new ListResourceTags(ctx, { keyId, limit: Number(query.limit ?? MAX_TAG_PAGE), marker: query.marker }),
    );
    response.setHeader('ETag', toETag(revision));
    return { tags: toTagResources(page.tags), ...(page.nextMarker !== undefined && { nextMarker: page.nextMarker }) };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'tagKey',
    summary: 'Add or replace tags of the key (TagResource)',
    description: 'Each tag is added, or replaces the value of the tag with the same key. Tags are stored and listed; nothing else reads them.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: TagKeyBody })
  @ApiKeyResponse(200, KeyTagsResource, "All of the key's tags after the change; ETag is the new key revision.")
  @ApiProblemsWith({ 400: TAG_400, 409: STATE_409 }, 400, 404, 409, 412, 413, 415, 500)
  async tagKey(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: TagKeyBody,
  ): Promise<KeyTagsResource> {
    const ctx = this.contexts.forChange(request, 'TagResource');
    const tags = body.tags.map((t) => ({ TagKey: t.key, TagValue: t.value }));
    const result: KeyChangeResult = await this.commands.execute(new TagResource(ctx, { keyId, tags }));
    return withRevision(response, result, { tags: toTagResources(result.state.tags) });
  }

  @Delete()
  @ApiOperation({
    operationId: 'untagKey',
    summary: 'Remove tags from the key (UntagResource)',
    description: 'Name each tag key in its own `tagKeys` parameter: `?tagKeys=team&tagKeys=cost-center`. Keys the key does not have are ignored.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, KeyTagsResource, "The key's remaining tags; ETag is the new key revision.")
  @ApiProblemsWith({ 400: 'The request is invalid (ValidationException, SerializationException: no `tagKeys`), or names an `aws:` key (TagException).', 409: STATE_409 }, 400, 404, 409, 412, 413, 415, 500)
  async untagKey(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: UntagKeyQuery,
  ): Promise<KeyTagsResource> {
    const ctx = this.contexts.forChange(request, 'UntagResource');
    const tagKeys = Array.isArray(query.tagKeys) ? query.tagKeys : [query.tagKeys];
    const result: KeyChangeResult = await this.commands.execute(new UntagResource(ctx, { keyId, tagKeys }));
    return withRevision(response, result, { tags: toTagResources(result.state.tags) });
  }
}
