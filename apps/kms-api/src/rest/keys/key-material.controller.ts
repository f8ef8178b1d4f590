import { Body, Delete, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { DeleteImportedKeyMaterial, GetParametersForImport, ImportKeyMaterial, ImportParameters, KeyMaterialResult } from '@keyledger/application';
import { fromBase64 } from './crypto-representation';
import { keyIdFromArn } from './key-representation';
import { DeleteMaterialQuery, ImportMaterialBody, ImportParametersBody } from '../dto/import-requests.dto';
import { ImportParametersResource, KeyMaterialResource } from '../dto/key-resources.dto';
import { toETag } from '../http/etag';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiIfMatch, ApiKeyIdParam, ApiKeyResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { parseIsoTime, toIsoTime } from '../validation/instant';


const materialResource = (result: KeyMaterialResult): KeyMaterialResource => ({
  keyId: keyIdFromArn(result.keyArn),
  keyArn: result.keyArn,
  keyMaterialId: result.keyMaterialId,
});

/** Bring-your-own-key: import parameters, importing wrapped material, deleting it. Each takes If-Match. */
@RestEndpoint('v1/keys/:keyId', 'key material')
export class KeyMaterialController {
  constructor(
    private readonly commands: CommandBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Post('import-parameters')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'getImportParameters',
    summary: 'Get a wrapping public key and import token (GetParametersForImport)',
    description: 'Wrap the key material with `publicKey` using `wrappingAlgorithm`, then send it with `importToken` to /material within 24 hours.',
  })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: ImportParametersBody })
  @ApiKeyResponse(200, ImportParametersResource, 'The import parameters; ETag is the key revision that records them.')
  @ApiProblems(400, 404, 409, 412, 413, 415, 422, 500)
  async getImportParameters(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: ImportParametersBody,
  ): Promise<ImportParametersResource> {
    const ctx = this.contexts.forChange(request, 'GetParametersForImport');
    const params: ImportParameters = await this.commands.execute(
      new GetParametersForImport(ctx, { keyId, wrappingAlgorithm: body.wrappingAlgorithm, wrappingKeySpec: body.wrappingKeySpec }),
    );
    response.setHeader('ETag', toETag(params.revision));
    return {
      keyId: keyIdFromArn(params.keyArn),
      keyArn: params.keyArn,
      importToken: params.importToken.toString('base64'),
      publicKey: params.publicKey.toString('base64'),
      parametersValidTo: toIsoTime(params.parametersValidTo),
    };
  }

  @Post('material')
  @HttpCode(200)
  @ApiOperation({ operationId: 'importKeyMaterial', summary: 'Import wrapped key material (ImportKeyMaterial)' })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiBody({ type: ImportMaterialBody })
  @ApiKeyResponse(200, KeyMaterialResource, 'The material was imported; ETag is the new key revision.')
  @ApiProblems(400, 404, 409, 412, 413, 415, 422, 500)
  async importKeyMaterial(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Body() body: ImportMaterialBody,
  ): Promise<KeyMaterialResource> {
    const ctx = this.contexts.forChange(request, 'ImportKeyMaterial');
    const result: KeyMaterialResult = await this.commands.execute(
      new ImportKeyMaterial(ctx, {
        keyId,
        importToken: fromBase64(body.importToken),
        encryptedKeyMaterial: fromBase64(body.encryptedKeyMaterial),
        validTo: body.validTo === undefined ? undefined : parseIsoTime(body.validTo),
        expirationModel: body.expirationModel,
        importType: body.importType,
        keyMaterialDescription: body.keyMaterialDescription,
        keyMaterialId: body.keyMaterialId,
      }),
    );
    response.setHeader('ETag', toETag(result.revision));
    return materialResource(result);
  }

  @Delete('material')
  @ApiOperation({ operationId: 'deleteKeyMaterial', summary: 'Delete imported key material (DeleteImportedKeyMaterial)', description: 'The key returns to PendingImport; only the same material can be imported again.' })
  @ApiKeyIdParam()
  @ApiIfMatch()
  @ApiKeyResponse(200, KeyMaterialResource, 'The material was deleted; ETag is the new key revision.')
  @ApiProblems(400, 404, 409, 412, 413, 415, 422, 500)
  async deleteKeyMaterial(
    @Req() request: RestRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('keyId') keyId: string,
    @Query() query: DeleteMaterialQuery,
  ): Promise<KeyMaterialResource> {
    const ctx = this.contexts.forChange(request, 'DeleteImportedKeyMaterial');
    const result: KeyMaterialResult = await this.commands.execute(new DeleteImportedKeyMaterial(ctx, { keyId, keyMaterialId: query.keyMaterialId }));
    response.setHeader('ETag', toETag(result.revision));
    return materialResource(result);
  }
}
