import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const SIGV4_SECURITY = 'sigv4';
export const BEARER_SECURITY = 'bearer';
export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';
export const REST_PREFIX = '/v1';

const DESCRIPTION = `Resource-style REST API over the same key store, commands and queries as the AWS KMS JSON endpoint (POST /).

* Bodies and responses are camelCase JSON; binary values are base64; times are ISO-8601.
* Every key response carries the key's stream revision as an ETag; changes accept If-Match and answer 412 when the key has moved on.
* Errors are RFC 9457 problems (application/problem+json) with the AWS error name in \`awsErrorType\`.
* Every request is authenticated, as on the AWS endpoint: an AWS Signature Version 4 (service \`kms\`, the body covered) verified against the caller's secret, or \`Authorization: Bearer <token>\` with a token from the credentials file. The caller's account and principal come from that file; the signature's credential scope names the region (a bearer token's region is the service's default). Anything else is a 401 problem naming AWS's error (MissingAuthenticationTokenException, IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException).`;

/**
 * Only the REST routes (the AWS JSON endpoint's contract is the AWS KMS API; /health is for operators), each
 * requiring one of the two schemes RestAuthenticationGuard accepts.
 */
const restApiOnly = (document: OpenAPIObject): OpenAPIObject => ({
  ...document,
  paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`))),
  security: [{ [SIGV4_SECURITY]: [] }, { [BEARER_SECURITY]: [] }],
});

/**
 * Serves the OpenAPI document at /openapi.json and Swagger UI at /docs. The document is built from the controllers'
 * decorators on its first request, not at start-up, where building it took about a tenth of the time to ready.
 */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Keyledger REST API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addSecurity(SIGV4_SECURITY, {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description:
        'An AWS Signature Version 4 Authorization header (AWS4-HMAC-SHA256, service `kms`) with X-Amz-Date, verified against the secret the credentials file gives its access key id; host and x-amz-date must be signed, and the body is always covered.',
    })
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A `bearerToken` from the credentials file (KEYLEDGER_CREDENTIALS_FILE); the region is KEYLEDGER_REGION.' }, BEARER_SECURITY)
    .build();
  const buildDocument = (): OpenAPIObject => restApiOnly(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup(DOCS_PATH, app, buildDocument, { jsonDocumentUrl: OPENAPI_JSON_PATH, raw: ['json'], customSiteTitle: 'Keyledger REST API' });
}
