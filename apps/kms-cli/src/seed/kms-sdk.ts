import { CliError } from '../cli-error';

export type KmsSdk = typeof import('@aws-sdk/client-kms');

/**
 * Loads @aws-sdk/client-kms when `seed` runs, so the offline commands work without it installed. The SDK is the
 * client every test suite already uses, and going through it exercises the service's real import flow.
 */
export async function loadKmsSdk(): Promise<KmsSdk> {
  try {
    return await import('@aws-sdk/client-kms');
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') {
      throw new CliError("seed talks to the service through @aws-sdk/client-kms, which is not installed: run 'npm install @aws-sdk/client-kms'.");
    }
    throw error;
  }
}

/** One line for a failed call: the AWS error name and message, or the network error (service not running?). */
export function describeCallError(operation: string, endpoint: string, error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET') {
    return `${operation}: cannot reach ${endpoint} (${code}); is the service running?`;
  }
  return `${operation} failed: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
