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
import { DeriveSharedSecretRequest, GenerateMacRequest, GetPublicKeyRequest, SignRequest, VerifyMacRequest, VerifyRequest } from '../dto/signing.dto';
import { compact, fromBlob, toBlob } from '../wire';
import { Operation, operation, refuseRecipient } from './operation';

export const SIGNING_OPERATIONS: Record<string, Operation> = {
  Sign: operation(SignRequest, async (req, ctx, { queries }) => {
    const result: SignResult = await queries.execute(
      new Sign(ctx, { keyId: req.KeyId, message: fromBlob(req.Message), messageType: req.MessageType, signingAlgorithm: req.SigningAlgorithm, dryRun: req.DryRun }),
    );
    return { KeyId: result.keyArn, Signature: toBlob(result.signature), SigningAlgorithm: result.signingAlgorithm };
  }),

  Verify: operation(VerifyRequest, async (req, ctx, { queries }) => {
    const result: VerifyResult = await queries.execute(
      new Verify(ctx, {
        keyId: req.KeyId,
        message: fromBlob(req.Message),
        messageType: req.MessageType,
        signingAlgorithm: req.SigningAlgorithm,
        signature: fromBlob(req.Signature),
        dryRun: req.DryRun,
      }),
    );
    return { KeyId: result.keyArn, SignatureValid: true, SigningAlgorithm: result.signingAlgorithm };
  }),

  GenerateMac: operation(GenerateMacRequest, async (req, ctx, { queries }) => {
    const result: MacResult = await queries.execute(
      new GenerateMac(ctx, { keyId: req.KeyId, message: fromBlob(req.Message), macAlgorithm: req.MacAlgorithm, dryRun: req.DryRun }),
    );
    return { KeyId: result.keyArn, Mac: toBlob(result.mac), MacAlgorithm: result.macAlgorithm };
  }),

  VerifyMac: operation(VerifyMacRequest, async (req, ctx, { queries }) => {
    const result: Omit<MacResult, 'mac'> = await queries.execute(
      new VerifyMac(ctx, { keyId: req.KeyId, message: fromBlob(req.Message), macAlgorithm: req.MacAlgorithm, mac: fromBlob(req.Mac), dryRun: req.DryRun }),
    );
    return { KeyId: result.keyArn, MacValid: true, MacAlgorithm: result.macAlgorithm };
  }),

  GetPublicKey: operation(GetPublicKeyRequest, async (req, ctx, { queries }) => {
    const result: PublicKeyResult = await queries.execute(new GetPublicKey(ctx, req.KeyId));
    return compact({
      KeyId: result.keyArn,
      PublicKey: toBlob(result.publicKey),
      KeySpec: result.keySpec,
      CustomerMasterKeySpec: result.keySpec,
      KeyUsage: result.keyUsage,
      EncryptionAlgorithms: result.EncryptionAlgorithms,
      SigningAlgorithms: result.SigningAlgorithms,
      KeyAgreementAlgorithms: result.KeyAgreementAlgorithms,
    });
  }),

  DeriveSharedSecret: operation(DeriveSharedSecretRequest, async (req, ctx, { queries }) => {
    refuseRecipient(req);
    const result: SharedSecretResult = await queries.execute(
      new DeriveSharedSecret(ctx, {
        keyId: req.KeyId,
        keyAgreementAlgorithm: req.KeyAgreementAlgorithm,
        publicKey: fromBlob(req.PublicKey),
        dryRun: req.DryRun,
      }),
    );
    return {
      KeyId: result.keyArn,
      SharedSecret: toBlob(result.sharedSecret),
      KeyAgreementAlgorithm: result.keyAgreementAlgorithm,
      KeyOrigin: result.keyOrigin,
    };
  }),
};
