import { Body, Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AliasEntry, AliasExists, AliasList, CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from '@keyledger/application';
import { isKmsError, KmsError, RequestScope } from '@keyledger/domain';
import { AwsProtocolError } from '../../aws-json/aws-protocol-error';
import { AliasListResource, AliasResource, KeyAliasesQuery, ListAliasesQuery, PutAliasBody } from '../dto/alias-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiPlainResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toIsoTime } from '../validation/instant';

const ALIAS_PREFIX = 'alias/';
/** ListAliases' documented page size is 1..100; the default 50 (as on the AWS endpoint). */
const DEFAULT_ALIAS_PAGE = 50;
/** A key has at most 50 aliases (MAX_ALIASES_PER_KEY), so one page of 100 holds all of them. */
const ALL_OF_ONE_KEY = 100;

/**
 * The alias named by the path: `alias/x` URL-encoded (`alias%2Fx`), or just `x`, which means `alias/x`. A name
 * with more slashes is encoded the same way (`alias%2Fteam%2Fapp`, or `team%2Fapp`).
 */
export const aliasNameFromPath = (segment: string): string => (segment.startsWith(ALIAS_PREFIX) ? segment : ALIAS_PREFIX + segment);

export const toAliasResource = (a: AliasEntry): AliasResource => ({
  aliasName: a.aliasName,
  aliasArn: a.aliasArn,
  targetKeyId: a.targetKeyId,
  creationDate: toIsoTime(a.creationDate),
  lastUpdatedDate: toIsoTime(a.lastUpdatedDate),
});

export const toAliasList = (page: AliasList): AliasListResource => ({
  aliases: page.aliases.map(toAliasResource),
  ...(page.nextMarker !== undefined && { nextMarker: page.nextMarker }),
});

const ApiAliasNameParam = () =>
  ApiParam({
    name: 'aliasName',
    description: 'The alias name with its `alias/` prefix URL-encoded (`alias%2Fpayments`), or without the prefix (`payments`), which means the same alias.',
    example: 'alias%2Fpayments',
  });

const REQUEST_ID = { 'X-Request-Id': { description: "The id the request is recorded under in the alias's event stream.", schema: { type: 'string' } } };

const PUT_PROBLEMS = {
  400: 'The request or the alias name is invalid (ValidationException: prefix, characters, length; moving the alias to a key of another type or key usage), or targetKeyId is an alias.',
  403: 'The name is under the reserved `alias/aws/` prefix (NotAuthorizedException).',
  404: 'The target key does not exist for this caller (NotFoundException).',
  409:
    'With `If-None-Match: *`, the alias exists already (AlreadyExistsException); the target key already has 50 aliases (LimitExceededException); ' +
    "or the target key's state does not allow it (KMSInvalidStateException, e.g. pending deletion).",
};

/**
 * Aliases: ListAliases, CreateAlias/UpdateAlias and DeleteAlias of the AWS endpoint (alias-operations.ts). An
 * alias is its own event stream, not part of a key's, so these routes carry no key ETag and take no If-Match.
 */
@RestEndpoint('v1/aliases', 'aliases')
export class AliasesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listAliases', summary: "The caller's aliases (ListAliases)", description: 'All of them, or one key\'s with `keyId`; in pages: follow `nextMarker`.' })
  @ApiPlainResponse(AliasListResource, 'A page of aliases.')
  @ApiProblemsWith({ 404: 'The key named by `keyId` does not exist for this caller (NotFoundException).' }, 400, 404, 500)
  async listAliases(@Req() request: RestRequest, @Query() query: ListAliasesQuery): Promise<AliasListResource> {
    const ctx = this.contexts.identify(request, 'ListAliases');
    const page: AliasList = await this.queries.execute(new ListAliases(ctx, { keyId: query.keyId, limit: Number(query.limit ?? DEFAULT_ALIAS_PAGE), marker: query.marker }));
    return toAliasList(page);
  }

  @Put(':aliasName')
  @ApiOperation({
    operationId: 'putAlias',
    summary: 'Create the alias, or point it at another key (CreateAlias, UpdateAlias)',
    description:
      'Creates the alias when it does not exist (201), otherwise moves it to `targetKeyId` (200; the same key again changes nothing). ' +
      'With `If-None-Match: *` it only creates: an existing alias is 409 already-exists. ' +
      'An alias can only move to a key of the same type (symmetric, asymmetric, HMAC) and key usage. ' +
      'Use the alias wherever the AWS endpoint accepts a KeyId (e.g. Encrypt with `alias/payments`); REST paths name keys by id or ARN.',
  })
  @ApiAliasNameParam()
  @ApiHeader({ name: 'If-None-Match', required: false, description: '`*`: create only; never move an existing alias (409 when it exists).', schema: { type: 'string', enum: ['*'] } })
  @ApiBody({ type: PutAliasBody })
  @ApiResponse({ status: 201, type: AliasResource, description: 'The alias was created.', headers: REQUEST_ID })
  @ApiResponse({ status: 200, type: AliasResource, description: 'The alias existed and now names `targetKeyId`.', headers: REQUEST_ID })
  @ApiProblemsWith(PUT_PROBLEMS, 400, 403, 404, 409, 413, 415, 500)
  async putAlias(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('aliasName') aliasParam: string,
    @Body() body: PutAliasBody,
  ): Promise<AliasResource> {
    const aliasName = aliasNameFromPath(aliasParam);
    const createOnly = parseIfNoneMatch(request.headers['if-none-match']);
    const input = { aliasName, keyId: body.targetKeyId };
    // Look first, so that moving an existing alias is one UpdateAlias, not a CreateAlias the audit trail records as
    // refused. Only an alias created in between by someone else still takes that path.
    let created = createOnly || !(await this.queries.execute<AliasExists, boolean>(new AliasExists(this.contexts.identify(request, 'ListAliases'), aliasName)));
    if (created) {
      try {
        await this.commands.execute(new CreateAlias(this.contexts.identify(request, 'CreateAlias'), input));
      } catch (error) {
        if (createOnly || !(isKmsError(error) && error.type === 'AlreadyExistsException')) throw error;
        created = false;
      }
    }
    if (!created) await this.commands.execute(new UpdateAlias(this.contexts.identify(request, 'UpdateAlias'), input));
    response.status(created ? 201 : 200);
    return this.readBack(this.contexts.identify(request, 'ListAliases'), aliasName, body.targetKeyId);
  }

  @Delete(':aliasName')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteAlias', summary: 'Delete the alias (DeleteAlias)', description: 'The key it named is not affected.' })
  @ApiAliasNameParam()
  @ApiResponse({ status: 204, description: 'The alias was deleted.', headers: REQUEST_ID })
  @ApiProblemsWith({ 404: 'There is no such alias for this caller (NotFoundException).' }, 400, 404, 413, 415, 500)
  async deleteAlias(@Req() request: RestRequest, @Param('aliasName') aliasParam: string): Promise<void> {
    await this.commands.execute(new DeleteAlias(this.contexts.identify(request, 'DeleteAlias'), { aliasName: aliasNameFromPath(aliasParam) }));
  }

  /** The alias as written, from the alias read model (the command waited until it includes the write). */
  private async readBack(scope: RequestScope, aliasName: string, targetKeyId: string): Promise<AliasResource> {
    const page: AliasList = await this.queries.execute(new ListAliases(scope, { keyId: targetKeyId, limit: ALL_OF_ONE_KEY }));
    const alias = page.aliases.find((a) => a.aliasName === aliasName);
    if (!alias) throw new KmsError('ConflictException', `${aliasName} was changed by another request while this one wrote it.`);
    return toAliasResource(alias);
  }
}

/** `If-None-Match: *` makes PUT create-only; an entity tag is refused, since aliases carry none. */
function parseIfNoneMatch(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header.trim();
  if (value === '*') return true;
  throw new AwsProtocolError('ValidationException', `If-None-Match must be * (create only); got ${JSON.stringify(value)}.`);
}

/** A key's aliases: ListAliases with the KeyId of the path. */
@RestEndpoint('v1/keys/:keyId/aliases', 'aliases')
export class KeyAliasesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listKeyAliases', summary: "The key's aliases (ListAliases with KeyId)", description: 'A key has at most 50 aliases; in pages: follow `nextMarker`.' })
  @ApiKeyIdParam()
  @ApiPlainResponse(AliasListResource, "A page of the key's aliases.")
  @ApiProblemsWith({}, 400, 404, 500)
  async listKeyAliases(@Req() request: RestRequest, @Param('keyId') keyId: string, @Query() query: KeyAliasesQuery): Promise<AliasListResource> {
    const ctx = this.contexts.identify(request, 'ListAliases');
    const page: AliasList = await this.queries.execute(new ListAliases(ctx, { keyId, limit: Number(query.limit ?? DEFAULT_ALIAS_PAGE), marker: query.marker }));
    return toAliasList(page);
  }
}
