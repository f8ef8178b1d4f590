import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkKeyMaterial } from '@keyledger/crypto';
import type { KeySpec } from '@keyledger/domain';
import { CliError } from '../cli-error';
import type { MaterialSource } from './seed-file';

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function pkcs8Der(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`Cannot read key material file ${path}: ${(error as Error).message}`);
  }
  if (!bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN')) return bytes;
  // PEM (PKCS#8, PKCS#1 or SEC1): KMS wants unencrypted PKCS#8 DER, so convert.
  try {
    return createPrivateKey({ key: bytes, format: 'pem' }).export({ type: 'pkcs8', format: 'der' });
  } catch (error) {
    throw new CliError(`${path} is not an unencrypted PEM private key: ${(error as Error).message}`);
  }
}

/** The plaintext material of a seed entry, checked against its key spec as the service will check it. */
export function loadKeyMaterial(source: MaterialSource, keySpec: KeySpec, baseDir: string, where: string): Buffer {
  let material: Buffer;
  if ('hex' in source) {
    if (!HEX.test(source.hex)) throw new CliError(`${where}: hex material must be an even number of hex digits.`);
    material = Buffer.from(source.hex, 'hex');
  } else if ('base64' in source) {
    if (!BASE64.test(source.base64)) throw new CliError(`${where}: base64 material is not valid base64.`);
    material = Buffer.from(source.base64, 'base64');
  } else {
    material = pkcs8Der(resolve(baseDir, source.pkcs8File));
  }
  const check = checkKeyMaterial(keySpec, material);
  if (!check.ok) throw new CliError(`${where}: ${check.reason}`);
  return material;
}
