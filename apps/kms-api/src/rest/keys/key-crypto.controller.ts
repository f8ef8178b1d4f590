import { Body, HttpCode, Param, Post, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import {
  Decrypt,
  DecryptResult,
  Encrypt,
  EncryptResult,
  GenerateDataKey,
  GenerateDataKeyPair,
  GeneratedDataKey,
  GeneratedDataKeyPair,
  ReEncrypt,
  ReEncrypted,
} from '@keyledger/application';
import { DataKeyBody, DataKeyPairBody, DecryptBody, EncryptBody, ReEncryptBody } from '../dto/crypto-requests.dto';
import { DataKeyPairResource, DataKeyResource, DecryptedResource, EncryptedResource, ReEncryptedResource } from '../dto/crypto-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiPlainResponse } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { ApiUseProblems, compact, fromBase64, toBase64, usedKey } from './crypto-representation';
import { keyIdFromArn } from './key-representation';

const USE_PROBLEMS = [400, 404, 409, 413, 415, 422, 500];

/**
 * Encryption with a key: the same queries as the AWS endpoint's Encrypt, Decrypt, ReEncrypt and
 * GenerateDataKey* (encryption-operations.ts), the key named by the path. Using a key changes nothing, so each
 * answers 200 and takes no If-Match; each use is recorded in the usage log under the AWS operation name.
 */
@RestEndpoint('v1/keys/:keyId', 'cryptographic operations')
export class KeyCryptoController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Post('encrypt')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'encrypt',
    summary: 'Encrypt data under the key (Encrypt)',
    description: 'Up to 4096 bytes under a symmetric key (AES-256-GCM, bound to the encryption context), or RSAES-OAEP under an RSA ENCRYPT_DECRYPT key. For more data, use /data-key.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: EncryptBody })
  @ApiPlainResponse(EncryptedResource, 'The ciphertext.')
  @ApiUseProblems(...USE_PROBLEMS)
  async encrypt(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: EncryptBody): Promise<EncryptedResource> {
    const ctx = this.contexts.identify(request, 'Encrypt');
    const result: EncryptResult = await this.queries.execute(
      new Encrypt(ctx, { keyId, plaintext: fromBase64(body.plaintext), encryptionContext: body.encryptionContext ?? {}, encryptionAlgorithm: body.encryptionAlgorithm }),
    );
    return { ...usedKey(result.keyArn), ciphertext: toBase64(result.ciphertext), encryptionAlgorithm: result.encryptionAlgorithm };
  }

  @Post('decrypt')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'decrypt',
    summary: 'Decrypt a ciphertext made under the key (Decrypt with KeyId)',
    description: 'The ciphertext must have been made under the key in the path (otherwise IncorrectKeyException), with the same encryption context and algorithm.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: DecryptBody })
  @ApiPlainResponse(DecryptedResource, 'The plaintext.')
  @ApiUseProblems(...USE_PROBLEMS)
  async decrypt(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: DecryptBody): Promise<DecryptedResource> {
    const ctx = this.contexts.identify(request, 'Decrypt');
    const result: DecryptResult = await this.queries.execute(
      new Decrypt(ctx, { ciphertext: fromBase64(body.ciphertext), keyId, encryptionContext: body.encryptionContext ?? {}, encryptionAlgorithm: body.encryptionAlgorithm }),
    );
    return compact({
      ...usedKey(result.keyArn),
      plaintext: toBase64(result.plaintext),
      encryptionAlgorithm: result.encryptionAlgorithm,
      keyMaterialId: result.keyMaterialId,
    });
  }

  @Post('re-encrypt')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'reEncrypt',
    summary: 'Re-encrypt a ciphertext under another key (ReEncrypt)',
    description: 'Decrypts with the key in the path (the source) and encrypts under `destinationKeyId`; the plaintext never leaves the service. Both keys must allow ReEncrypt.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: ReEncryptBody })
  @ApiPlainResponse(ReEncryptedResource, 'The ciphertext under the destination key.')
  @ApiUseProblems(...USE_PROBLEMS)
  async reEncrypt(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: ReEncryptBody): Promise<ReEncryptedResource> {
    const ctx = this.contexts.identify(request, 'ReEncrypt');
    const result: ReEncrypted = await this.queries.execute(
      new ReEncrypt(ctx, {
        ciphertext: fromBase64(body.ciphertext),
        sourceKeyId: keyId,
        sourceEncryptionContext: body.sourceEncryptionContext ?? {},
        sourceEncryptionAlgorithm: body.sourceEncryptionAlgorithm,
        destinationKeyId: body.destinationKeyId,
        destinationEncryptionContext: body.destinationEncryptionContext ?? {},
        destinationEncryptionAlgorithm: body.destinationEncryptionAlgorithm,
      }),
    );
    return compact({
      ciphertext: toBase64(result.ciphertext),
      sourceKeyId: keyIdFromArn(result.sourceKeyArn),
      sourceKeyArn: result.sourceKeyArn,
      sourceEncryptionAlgorithm: result.sourceEncryptionAlgorithm,
      sourceKeyMaterialId: result.sourceKeyMaterialId,
      destinationKeyId: keyIdFromArn(result.destinationKeyArn),
      destinationKeyArn: result.destinationKeyArn,
      destinationEncryptionAlgorithm: result.destinationEncryptionAlgorithm,
      destinationKeyMaterialId: result.destinationKeyMaterialId,
    });
  }

  @Post('data-key')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'generateDataKey',
    summary: 'Generate a data key for envelope encryption (GenerateDataKey, GenerateDataKeyWithoutPlaintext)',
    description: 'A fresh random key of `keySpec` or `numberOfBytes` (exactly one), returned in the clear and encrypted under the symmetric key in the path.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: DataKeyBody })
  @ApiPlainResponse(DataKeyResource, 'The data key, encrypted and (unless includePlaintext is false) in the clear.')
  @ApiUseProblems(...USE_PROBLEMS)
  async generateDataKey(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: DataKeyBody): Promise<DataKeyResource> {
    const withoutPlaintext = body.includePlaintext === false;
    const ctx = this.contexts.identify(request, withoutPlaintext ? 'GenerateDataKeyWithoutPlaintext' : 'GenerateDataKey');
    const key: GeneratedDataKey = await this.queries.execute(
      new GenerateDataKey(ctx, { keyId, keySpec: body.keySpec, numberOfBytes: body.numberOfBytes, encryptionContext: body.encryptionContext ?? {}, withoutPlaintext }),
    );
    return compact({
      ...usedKey(key.keyArn),
      ciphertext: toBase64(key.ciphertext),
      plaintext: key.plaintext && toBase64(key.plaintext),
      keyMaterialId: key.keyMaterialId,
    });
  }

  @Post('data-key-pair')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'generateDataKeyPair',
    summary: 'Generate an asymmetric data key pair (GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext)',
    description: 'A fresh RSA or ECC key pair; the PKCS#8 private key comes back encrypted under the symmetric key in the path and (unless includePlaintext is false) in the clear.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: DataKeyPairBody })
  @ApiPlainResponse(DataKeyPairResource, 'The key pair.')
  @ApiUseProblems(...USE_PROBLEMS)
  async generateDataKeyPair(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: DataKeyPairBody): Promise<DataKeyPairResource> {
    const withoutPlaintext = body.includePlaintext === false;
    const ctx = this.contexts.identify(request, withoutPlaintext ? 'GenerateDataKeyPairWithoutPlaintext' : 'GenerateDataKeyPair');
    const pair: GeneratedDataKeyPair = await this.queries.execute(
      new GenerateDataKeyPair(ctx, { keyId, keyPairSpec: body.keyPairSpec, encryptionContext: body.encryptionContext ?? {}, withoutPlaintext }),
    );
    return compact({
      ...usedKey(pair.keyArn),
      keyPairSpec: pair.keyPairSpec,
      publicKey: toBase64(pair.publicKey),
      privateKeyCiphertext: toBase64(pair.privateKeyCiphertext),
      privateKeyPlaintext: pair.privateKeyPlaintext && toBase64(pair.privateKeyPlaintext),
      keyMaterialId: pair.keyMaterialId,
    });
  }
}
