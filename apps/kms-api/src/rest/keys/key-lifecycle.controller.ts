import { Body, Delete, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { CancelKeyDeletion, CLOCK, Clock, DisableKey, EnableKey, KeyChangeResult, ScheduleKeyDeletion, UpdateKeyDescription } from '@keyledger/application';
import { KeyResource } from '../dto/key-resources.dto';
import { ScheduleDeletionBody, UpdateDescriptionBody } from '../dto/lifecycle-requests.dto';
import { KeyDeletionResource } from '../dto/lifecycle-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiIfMatch, ApiKeyIdParam, ApiKeyResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { toIsoTime } from '../validation/instant';
import { keyResourceAfter, withRevision } from './key-change-representation';

const STATE_409 = "The key's state does not allow it (KMSInvalidStateException), e.g. a key pending deletion or already deleted.";

/**
 * Enabling, disabling, describing and deleting a key: the AWS endpoint's commands (lifecycle-operations.ts), the
 * key named by the path. Each takes If-Match and answers with the key's new revision in ETag.
 */
@RestEndpoint('v1/keys/:keyId', 'key lifecycle')
export class KeyLifecycleController {
  constructor(
    private readonly commands: CommandBus,
    private readonly contexts: RestContextResolver,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('enable')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'enableKey',
    summary: 'Enable the key (EnableKey)',
    description: 'A disabled key can be used again. Enabling an enabled key changes nothing (the revision stays).',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, KeyResource, 'The key as enabled; ETag is its new revision.')
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 412, 413, 415, 500)
  async enableKey(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<KeyResource> {
    const result: KeyChangeResult = await this.commands.execute(new EnableKey(this.contexts.forChange(request, 'EnableKey'), { keyId }));
    return withRevision(response, result, keyResourceAfter(result, this.clock.now()));
  }

  @Post('disable')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'disableKey',
    summary: 'Disable the key (DisableKey)',
    description: 'A disabled key cannot be used for cryptographic operations (409 key-disabled) until it is enabled again. Disabling a disabled key changes nothing.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, KeyResource, 'The key as disabled; ETag is its new revision.')
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 412, 413, 415, 500)
  async disableKey(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<KeyResource> {
    const result: KeyChangeResult = await this.commands.execute(new DisableKey(this.contexts.forChange(request, 'DisableKey'), { keyId }));
    return withRevision(response, result, keyResourceAfter(result, this.clock.now()));
  }

  @Put('description')
  @ApiOperation({ operationId: 'updateKeyDescription', summary: "Replace the key's description (UpdateKeyDescription)", description: 'An empty string clears it.' })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: UpdateDescriptionBody })
  @ApiKeyResponse(200, KeyResource, 'The key with its new description; ETag is its new revision.')
  @ApiProblemsWith({ 409: STATE_409 }, 400, 404, 409, 412, 413, 415, 500)
  async updateKeyDescription(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: UpdateDescriptionBody,
  ): Promise<KeyResource> {
    const ctx = this.contexts.forChange(request, 'UpdateKeyDescription');
    const result: KeyChangeResult = await this.commands.execute(new UpdateKeyDescription(ctx, { keyId, description: body.description }));
    return withRevision(response, result, keyResourceAfter(result, this.clock.now()));
  }

  @Post('deletion')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'scheduleKeyDeletion',
    summary: 'Schedule the deletion of the key (ScheduleKeyDeletion)',
    description:
      'The key becomes PendingDeletion and unusable; after `pendingWindowInDays` (7 to 30, default 30) the service deletes it with all its material and its aliases. ' +
      'Until then DELETE /deletion cancels. The key\'s history (/events) remains after the deletion.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: ScheduleDeletionBody, required: false })
  @ApiKeyResponse(200, KeyDeletionResource, 'The deletion is scheduled; ETag is the new key revision.')
  @ApiProblemsWith({ 409: "The key's state does not allow it (KMSInvalidStateException): already pending deletion, or deleted." }, 400, 404, 409, 412, 413, 415, 500)
  async scheduleKeyDeletion(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: ScheduleDeletionBody,
  ): Promise<KeyDeletionResource> {
    const ctx = this.contexts.forChange(request, 'ScheduleKeyDeletion');
    const result: KeyChangeResult = await this.commands.execute(new ScheduleKeyDeletion(ctx, { keyId, pendingWindowInDays: body.pendingWindowInDays }));
    const deletion = result.state.deletion!;
    return withRevision(response, result, {
      keyId: result.keyId,
      keyArn: result.keyArn,
      deletionDate: toIsoTime(deletion.deletionDate),
      keyState: 'PendingDeletion',
      pendingWindowInDays: deletion.pendingWindowInDays,
    });
  }

  @Delete('deletion')
  @ApiOperation({
    operationId: 'cancelKeyDeletion',
    summary: 'Cancel the scheduled deletion of the key (CancelKeyDeletion)',
    description: 'The key comes back Disabled, as in AWS KMS: enable it to use it again.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, KeyResource, 'The key, Disabled; ETag is its new revision.')
  @ApiProblemsWith({ 409: 'The key is not pending deletion (KMSInvalidStateException).' }, 400, 404, 409, 412, 413, 415, 500)
  async cancelKeyDeletion(@Req() request: RestRequest, @Res({ passthrough: true }) response: Response, @Param('keyId') keyId: string): Promise<KeyResource> {
    const result: KeyChangeResult = await this.commands.execute(new CancelKeyDeletion(this.contexts.forChange(request, 'CancelKeyDeletion'), { keyId }));
    return withRevision(response, result, keyResourceAfter(result, this.clock.now()));
  }
}
