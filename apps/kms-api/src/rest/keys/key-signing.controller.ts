import { Body, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import {
  DeriveSharedSecret,
  GenerateMac,
  GetPublicKey,
  MacResult,
  PublicKeyResult,
  SharedSecretResult,
  Sign,
  SignResult,
  Verify,
  VerifyMac,
  VerifyResult,
} from '@keyledger/application';
import { MacBody, SharedSecretBody, SignBody, VerifyBody, VerifyMacBody } from '../dto/crypto-requests.dto';
import { MacResource, MacVerifiedResource, PublicKeyResource, SharedSecretResource, SignatureResource, SignatureVerifiedResource } from '../dto/crypto-resources.dto';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiKeyIdParam, ApiPlainResponse } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { ApiUseProblems, compact, fromBase64, toBase64, toPublicKeyPem, usedKey } from './crypto-representation';

const USE_PROBLEMS = [400, 404, 409, 413, 415, 422, 500];

/**
 * Signatures, MACs, key agreement and public keys: the same queries as the AWS endpoint's Sign, Verify,
 * GenerateMac, VerifyMac, DeriveSharedSecret and GetPublicKey (signing-operations.ts), the key named by the
 * path. A signature or MAC that does not verify is a 422 problem, never a `false`.
 */
@RestEndpoint('v1/keys/:keyId', 'cryptographic operations')
export class KeySigningController {
  constructor(
    private readonly queries: QueryBus,
    private readonly contexts: RestContextResolver,
  ) {}

  @Post('sign')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'sign',
    summary: 'Sign a message or digest with the key (Sign)',
    description: 'RSASSA-PSS, RSASSA-PKCS1-v1_5 or ECDSA with a SIGN_VERIFY key. Verify the signature with the public key from /public-key, or with /verify.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: SignBody })
  @ApiPlainResponse(SignatureResource, 'The signature.')
  @ApiUseProblems(...USE_PROBLEMS)
  async sign(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: SignBody): Promise<SignatureResource> {
    const ctx = this.contexts.identify(request, 'Sign');
    const result: SignResult = await this.queries.execute(
      new Sign(ctx, { keyId, message: fromBase64(body.message), messageType: body.messageType, signingAlgorithm: body.signingAlgorithm }),
    );
    return { ...usedKey(result.keyArn), signature: toBase64(result.signature), signingAlgorithm: result.signingAlgorithm };
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'verify',
    summary: 'Verify a signature with the key (Verify)',
    description: 'Answers signatureValid true, or 422 KMSInvalidSignatureException when the signature does not verify.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: VerifyBody })
  @ApiPlainResponse(SignatureVerifiedResource, 'The signature is valid.')
  @ApiUseProblems(...USE_PROBLEMS)
  async verify(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: VerifyBody): Promise<SignatureVerifiedResource> {
    const ctx = this.contexts.identify(request, 'Verify');
    const result: VerifyResult = await this.queries.execute(
      new Verify(ctx, {
        keyId,
        message: fromBase64(body.message),
        messageType: body.messageType,
        signingAlgorithm: body.signingAlgorithm,
        signature: fromBase64(body.signature),
      }),
    );
    return { ...usedKey(result.keyArn), signatureValid: true, signingAlgorithm: result.signingAlgorithm };
  }

  @Post('mac')
  @HttpCode(200)
  @ApiOperation({ operationId: 'generateMac', summary: 'Compute an HMAC of a message with the key (GenerateMac)', description: 'With a GENERATE_VERIFY_MAC (HMAC_*) key.' })
  @ApiKeyIdParam()
  @ApiBody({ type: MacBody })
  @ApiPlainResponse(MacResource, 'The MAC.')
  @ApiUseProblems(...USE_PROBLEMS)
  async generateMac(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: MacBody): Promise<MacResource> {
    const ctx = this.contexts.identify(request, 'GenerateMac');
    const result: MacResult = await this.queries.execute(new GenerateMac(ctx, { keyId, message: fromBase64(body.message), macAlgorithm: body.macAlgorithm }));
    return { ...usedKey(result.keyArn), mac: toBase64(result.mac), macAlgorithm: result.macAlgorithm };
  }

  @Post('mac/verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'verifyMac',
    summary: 'Verify an HMAC with the key (VerifyMac)',
    description: 'Compared in constant time. Answers macValid true, or 422 KMSInvalidMacException when the MAC does not match.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: VerifyMacBody })
  @ApiPlainResponse(MacVerifiedResource, 'The MAC is valid.')
  @ApiUseProblems(...USE_PROBLEMS)
  async verifyMac(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: VerifyMacBody): Promise<MacVerifiedResource> {
    const ctx = this.contexts.identify(request, 'VerifyMac');
    const result: Omit<MacResult, 'mac'> = await this.queries.execute(
      new VerifyMac(ctx, { keyId, message: fromBase64(body.message), macAlgorithm: body.macAlgorithm, mac: fromBase64(body.mac) }),
    );
    return { ...usedKey(result.keyArn), macValid: true, macAlgorithm: result.macAlgorithm };
  }

  @Post('shared-secret')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deriveSharedSecret',
    summary: "Derive an ECDH shared secret with a peer's public key (DeriveSharedSecret)",
    description: 'With an ECC KEY_AGREEMENT key; the peer key must be on the same curve.',
  })
  @ApiKeyIdParam()
  @ApiBody({ type: SharedSecretBody })
  @ApiPlainResponse(SharedSecretResource, 'The shared secret.')
  @ApiUseProblems(...USE_PROBLEMS)
  async deriveSharedSecret(@Req() request: RestRequest, @Param('keyId') keyId: string, @Body() body: SharedSecretBody): Promise<SharedSecretResource> {
    const ctx = this.contexts.identify(request, 'DeriveSharedSecret');
    const result: SharedSecretResult = await this.queries.execute(
      new DeriveSharedSecret(ctx, { keyId, keyAgreementAlgorithm: body.keyAgreementAlgorithm, publicKey: fromBase64(body.publicKey) }),
    );
    return {
      ...usedKey(result.keyArn),
      sharedSecret: toBase64(result.sharedSecret),
      keyAgreementAlgorithm: result.keyAgreementAlgorithm,
      keyOrigin: result.keyOrigin,
    };
  }

  @Get('public-key')
  @ApiOperation({
    operationId: 'getPublicKey',
    summary: 'The public key of an RSA or ECC key (GetPublicKey)',
    description: 'DER SubjectPublicKeyInfo (base64) and PEM, with what the key may be used for. Symmetric and HMAC keys have none: 422 UnsupportedOperationException.',
  })
  @ApiKeyIdParam()
  @ApiPlainResponse(PublicKeyResource, 'The public key.')
  @ApiUseProblems(400, 404, 409, 422, 500)
  async getPublicKey(@Req() request: RestRequest, @Param('keyId') keyId: string): Promise<PublicKeyResource> {
    const ctx = this.contexts.identify(request, 'GetPublicKey');
    const result: PublicKeyResult = await this.queries.execute(new GetPublicKey(ctx, keyId));
    return compact({
      ...usedKey(result.keyArn),
      publicKey: toBase64(result.publicKey),
      publicKeyPem: toPublicKeyPem(result.publicKey),
      keySpec: result.keySpec,
      keyUsage: result.keyUsage,
      encryptionAlgorithms: result.EncryptionAlgorithms,
      signingAlgorithms: result.SigningAlgorithms,
      keyAgreementAlgorithms: result.KeyAgreementAlgorithms,
    });
  }
}
