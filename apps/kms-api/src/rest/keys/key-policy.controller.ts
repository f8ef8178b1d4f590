import { Body, Get, Param, Put, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { GetKeyPolicy, GetKeyRevision, KeyChangeResult, KeyRevision, PutKeyPolicy } from '@keyledger/application';
import { DEFAULT_POLICY_NAME, defaultKeyPolicy } from '@keyledger/domain';
import { PutPolicyBody } from '../dto/lifecycle-requests.dto';
import { KeyPolicyResource } from '../dto/lifecycle-resources.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiIfMatch, ApiKeyIdParam, ApiKeyResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { withRevision } from './key-change-representation';

const NOT_EVALUATED =
  'Keyledger stores key policies and returns them; it never evaluates them: no access decision is made from a policy, ' +
  'and a policy that would deny the caller changes nothing.';
const STATE_409 = "The key's state does not allow it (KMSInvalidStateException), e.g. a key pending deletion.";

/** The key policy: GetKeyPolicy and PutKeyPolicy of the AWS endpoint (one policy per key, named default). */
@RestEndpoint('v1/keys/:keyId/policy', 'key policy')
export class KeyPolicyController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'getKeyPolicy',
    summary: "The key's policy (GetKeyPolicy)",
    description: `The policy exactly as it was put, or AWS's default key policy (the key's account root may do kms:*) for a key never given one. ${NOT_EVALUATED}`,
  })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyPolicyResource, "The policy; ETag is the key's revision.")
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 500)
  async getKeyPolicy(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<KeyPolicyResource> {
    const ctx = this.contexts.identify(request, 'GetKeyPolicy');
    const { revision }: KeyRevision = await this.queries.execute(new GetKeyRevision(ctx, keyId));
    const result: { policy: string; policyName: string } = await this.queries.execute(new GetKeyPolicy(ctx, { keyId }));
    response.setHeader('ETag', toETag(revision));
    return { policyName: result.policyName, policy: result.policy };
  }

  @Put()
  @ApiOperation({
    operationId: 'putKeyPolicy',
    summary: "Replace the key's policy (PutKeyPolicy)",
    description: `The document must be a JSON object with a \`Statement\`, at most 131072 characters; it is stored byte for byte. ${NOT_EVALUATED}`,
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: PutPolicyBody })
  @ApiKeyResponse(200, KeyPolicyResource, 'The policy as stored; ETag is the new key revision.')
  @ApiProblemsWith(
    {
      400: 'The request is invalid (ValidationException, SerializationException), or the document is not a JSON object with a Statement (MalformedPolicyDocumentException).',
      409: "The key's state does not allow it (KMSInvalidStateException), or the document is longer than 131072 characters (LimitExceededException).",
    },
    400,
    404,
    409,
    412,
    413,
    415,
    500,
  )
  async putKeyPolicy(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: PutPolicyBody,
  ): Promise<KeyPolicyResource> {
    const ctx = this.contexts.forChange(request, 'PutKeyPolicy');
    const result: KeyChangeResult = await this.commands.execute(new PutKeyPolicy(ctx, { keyId, policy: body.policy }));
    const policy = result.state.policy ?? defaultKeyPolicy(result.state.key!.accountId);
    return withRevision(response, result, { policyName: DEFAULT_POLICY_NAME, policy });
  }
}
