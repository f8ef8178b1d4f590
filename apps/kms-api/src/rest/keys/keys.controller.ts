import { Body, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { CreatedKey, CreateKey, DescribeKey, DescribeKeyAsOf, GetKeyRevision, HistoricalKeyMetadata, KeyList, KeyRevision, ListKeys } from '@keyledger/application';
import type { KeyMetadata } from '@keyledger/domain';
import { CreateKeyBody, GetKeyQuery, ListKeysQuery } from '../dto/key-requests.dto';
import { KeyListResource, KeyResource } from '../dto/key-resources.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiKeyResponse, ApiPlainResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { parseInstant } from '../validation/instant';
import { toKeyResource } from './key-representation';

/** Keys as resources: create, list, read (now or as of a moment). The same commands and queries as the AWS endpoint. */
@RestEndpoint('v1/keys', 'keys')
export class KeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'createKey', summary: 'Create a key (CreateKey)', description: 'Origin EXTERNAL creates a key for bring-your-own-key import, in PendingImport.' })
  @ApiBody({ type: CreateKeyBody, required: false })
  @ApiKeyResponse(201, KeyResource, 'The new key.', { location: true })
  @ApiProblems(400, 413, 415, 422, 500)
  async createKey(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Body() body: CreateKeyBody): Promise<KeyResource> {
    const ctx = this.contexts.identify(request, 'CreateKey');
    const { keyMetadata, revision }: CreatedKey = await this.commands.execute(
      new CreateKey(ctx, { description: body.description, keySpec: body.keySpec, keyUsage: body.keyUsage, origin: body.origin }),
    );
    response.location(`/v1/keys/${keyMetadata.KeyId}`).setHeader('ETag', toETag(revision));
    return toKeyResource(keyMetadata);
  }

  @Get()
  @ApiOperation({ operationId: 'listKeys', summary: "List the caller's keys (ListKeys)", description: 'Oldest first, in pages: follow `nextMarker`.' })
  @ApiPlainResponse(KeyListResource, 'A page of keys.')
  @ApiProblems(400, 500)
  async listKeys(@Req() request: RestRequest, @Query() query: ListKeysQuery): Promise<KeyListResource> {
    const ctx = this.contexts.identify(request, 'ListKeys');
    const page: KeyList = await this.queries.execute(new ListKeys(ctx, Number(query.limit ?? 100), query.marker));
    return { keys: page.keys.map((k) => ({ keyId: k.keyId, keyArn: k.arn })), nextMarker: page.nextMarker };
  }

  @Get(':keyId')
  @ApiOperation({
    operationId: 'getKey',
    summary: "A key's metadata (DescribeKey), now or as of a moment",
    description: 'With `asOf`, the key as it was then, rebuilt by replaying its event stream up to that moment.',
  })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyResource, 'The key; ETag is its revision (with `asOf`, the revision it had then).')
  @ApiProblems(400, 404, 500)
  async getKey(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: GetKeyQuery,
  ): Promise<KeyResource> {
    const ctx = this.contexts.identify(request, 'DescribeKey');
    let metadata: KeyMetadata;
    let revision: number;
    if (query.asOf !== undefined) {
      ({ metadata, revision } = (await this.queries.execute(new DescribeKeyAsOf(ctx, keyId, parseInstant(query.asOf)!))) as HistoricalKeyMetadata);
    } else {
      // The revision first: its query waits until the read model includes it, so the ETag is never newer than the body.
      ({ revision } = (await this.queries.execute(new GetKeyRevision(ctx, keyId))) as KeyRevision);
      metadata = await this.queries.execute(new DescribeKey(ctx, keyId));
    }
    response.setHeader('ETag', toETag(revision));
    return toKeyResource(metadata);
  }
}
