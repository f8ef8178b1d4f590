import { CliError } from '../cli-error';
import { describeCallError } from '../seed/kms-sdk';
import { sigV4Headers } from '../sigv4-request';

export interface ServiceTarget {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Whom the CLI calls as: $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY (default `test`/`test`), in $AWS_REGION. */
export function serviceTarget(endpoint: string | undefined): ServiceTarget {
  return {
    endpoint: (endpoint ?? process.env.KEYLEDGER_ENDPOINT ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
  };
}

/**
 * One REST call to a running service, SigV4-signed as the AWS SDKs sign (the service authenticates REST routes
 * like its AWS endpoint). A refusal becomes a CliError with the problem's AWS error name and detail.
 */
export async function callService<T>(target: ServiceTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = new URL(path, `${target.endpoint}/`);
  const text = body === undefined ? '' : JSON.stringify(body);
  const contentType: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const headers = await sigV4Headers(url.href, method, contentType, text, target);
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : text });
  } catch (error) {
    throw new CliError(describeCallError(`${method} ${url.pathname}`, target.endpoint, (error as { cause?: unknown }).cause ?? error));
  }
  const reply = await response.text();
  let parsed: { awsErrorType?: string; detail?: string } | undefined;
  try {
    parsed = JSON.parse(reply);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    throw new CliError(`${method} ${url.pathname} failed: ${response.status} ${parsed?.awsErrorType ?? ''}${parsed?.detail ? `: ${parsed.detail}` : reply ? `: ${reply.slice(0, 200)}` : ''}`);
  }
  return parsed as T;
}
