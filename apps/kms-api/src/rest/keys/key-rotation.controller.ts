import { Body, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  DisableKeyRotation,
  EnableKeyRotation,
  GetKeyRevision,
  GetKeyRotationStatus,
  KeyChangeResult,
  KeyRevision,
  KeyRotationEntry,
  KeyRotationStatus,
  ListKeyRotations,
  RotateKeyOnDemand,
} from '@keyledger/application';
import { AwsProtocolError } from '../../aws-json/aws-protocol-error';
import { ListRotationsQuery, RotationBody } from '../dto/lifecycle-requests.dto';
import { KeyRotationsResource, KeyRotationStatusResource, RotatedKeyResource } from '../dto/lifecycle-resources.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiIfMatch, ApiKeyIdParam, ApiKeyResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toIsoTime } from '../validation/instant';
import { rotationStatusOf, toRotationResource, withRevision } from './key-change-representation';

const UNSUPPORTED_422 =
  'The key cannot rotate this way (UnsupportedOperationException): only symmetric keys rotate, and automatic rotation is for AWS_KMS keys (EXTERNAL keys rotate on demand to imported material).';
const STATE_409 = "The key's state does not allow it (KMSInvalidStateException, DisabledException), e.g. a disabled key or one pending deletion.";

/**
 * Rotation of a key's material: GetKeyRotationStatus, EnableKeyRotation/DisableKeyRotation, ListKeyRotations and
 * RotateKeyOnDemand of the AWS endpoint. Changes take If-Match and answer with the new revision in ETag.
 */
@RestEndpoint('v1/keys/:keyId', 'key rotation')
export class KeyRotationController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get('rotation')
  @ApiOperation({
    operationId: 'getKeyRotationStatus',
    summary: 'Whether the key rotates automatically, and when next (GetKeyRotationStatus)',
    description: 'Always disabled for asymmetric, HMAC and imported-material keys, and while the key is pending deletion (the setting returns when the deletion is canceled).',
  })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyRotationStatusResource, "The rotation setting; ETag is the key's revision.")
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 500)
  async getKeyRotationStatus(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<KeyRotationStatusResource> {
    const ctx = this.contexts.identify(request, 'GetKeyRotationStatus');
    const { revision }: KeyRevision = await this.queries.execute(new GetKeyRevision(ctx, keyId));
    const status: KeyRotationStatus = await this.queries.execute(new GetKeyRotationStatus(ctx, { keyId }));
    response.setHeader('ETag', toETag(revision));
    if (!status.enabled) return { enabled: false };
    return {
      enabled: true,
      rotationPeriodInDays: status.rotationPeriodInDays,
      ...(status.nextRotationDate !== undefined && { nextRotationDate: toIsoTime(status.nextRotationDate) }),
    };
  }

  @Put('rotation')
  @ApiOperation({
    operationId: 'updateKeyRotation',
    summary: 'Turn automatic rotation on or off (EnableKeyRotation, DisableKeyRotation)',
    description:
      '`enabled: true` with an optional `rotationPeriodInDays` (90 to 2560, default 365; a new period restarts the schedule from now); `enabled: false` turns it off. ' +
      'Setting what is already set changes nothing (the revision stays).',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: RotationBody })
  @ApiKeyResponse(200, KeyRotationStatusResource, 'The rotation setting after the change; ETag is the new key revision.')
  @ApiProblemsWith({ 409: STATE_409, 422: UNSUPPORTED_422 }, 400, 404, 409, 412, 413, 415, 422, 500)
  async updateKeyRotation(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: RotationBody,
  ): Promise<KeyRotationStatusResource> {
    if (!body.enabled && body.rotationPeriodInDays !== undefined) {
      throw new AwsProtocolError('ValidationException', 'rotationPeriodInDays can only be given with enabled: true.');
    }
    const ctx = this.contexts.forChange(request, body.enabled ? 'EnableKeyRotation' : 'DisableKeyRotation');
    const command = body.enabled ? new EnableKeyRotation(ctx, { keyId, rotationPeriodInDays: body.rotationPeriodInDays }) : new DisableKeyRotation(ctx, { keyId });
    const result: KeyChangeResult = await this.commands.execute(command);
    return withRevision(response, result, rotationStatusOf(result.state));
  }

  @Get('rotations')
  @ApiOperation({
    operationId: 'listKeyRotations',
    summary: "The key's completed rotations (ListKeyRotations)",
    description: 'Oldest first, in pages: follow `nextMarker`. `includeKeyMaterial=ALL_KEY_MATERIAL` adds the first material and material pending rotation. Symmetric keys only.',
  })
  @ApiKeyIdParam()
  @ApiKeyResponse(200, KeyRotationsResource, "A page of the key's rotations; ETag is the key's revision.")
  @ApiProblemsWith({ 409: STATE_409, 422: 'Only symmetric keys rotate (UnsupportedOperationException).' }, 400, 404, 409, 422, 500)
  async listKeyRotations(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: ListRotationsQuery,
  ): Promise<KeyRotationsResource> {
    const ctx = this.contexts.identify(request, 'ListKeyRotations');
    const { revision }: KeyRevision = await this.queries.execute(new GetKeyRevision(ctx, keyId));
    const page: { entries: KeyRotationEntry[]; nextMarker?: string } = await this.queries.execute(
      new ListKeyRotations(ctx, { keyId, includeKeyMaterial: query.includeKeyMaterial, limit: Number(query.limit ?? 100), marker: query.marker }),
    );
    response.setHeader('ETag', toETag(revision));
    return { rotations: page.entries.map(toRotationResource), ...(page.nextMarker !== undefined && { nextMarker: page.nextMarker }) };
  }

  @Post('rotations')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateKeyOnDemand',
    summary: 'Rotate the key now (RotateKeyOnDemand)',
    description:
      'New material becomes current (AWS_KMS keys: generated; EXTERNAL keys: the material imported as pending rotation). Ciphertexts made with earlier material still decrypt. ' +
      'At most 25 on-demand rotations per key (409 limit-exceeded); refused while an automatic rotation is due within 20 minutes (409 conflict).',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, RotatedKeyResource, 'The key rotated; ETag is the new key revision.')
  @ApiProblemsWith(
    {
      409: "The key's state does not allow it (DisabledException, KMSInvalidStateException: e.g. no material pending rotation), the 25 on-demand rotations are used up (LimitExceededException), or an automatic rotation is due within 20 minutes (ConflictException).",
      422: 'Only symmetric keys rotate (UnsupportedOperationException).',
    },
    400,
    404,
    409,
    412,
    413,
    415,
    422,
    500,
  )
  async rotateKeyOnDemand(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<RotatedKeyResource> {
    const result: KeyChangeResult = await this.commands.execute(new RotateKeyOnDemand(this.contexts.forChange(request, 'RotateKeyOnDemand'), { keyId }));
    return withRevision(response, result, { keyId: result.keyId, keyArn: result.keyArn, currentKeyMaterialId: result.state.currentKeyMaterialId! });
  }
}
