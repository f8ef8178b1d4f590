import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const SIGV4_SECURITY = 'sigv4';
export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';
export const REST_PREFIX = '/v1';

const DESCRIPTION = `Resource-style REST API over the same key store, commands and queries as the AWS KMS JSON endpoint (POST /).

* Bodies and responses are camelCase JSON; binary values are base64; times are ISO-8601.
* Every key response carries the key's stream revision as an ETag; changes accept If-Match and answer 412 when the key has moved on.
* Errors are RFC 9457 problems (application/problem+json) with the AWS error name in \`awsErrorType\`.
* The caller is identified as on the AWS endpoint: the SigV4 credential scope in Authorization (access key id and region; a 12-digit access key id names its account), defaults otherwise. Signatures are not verified.`;

/**
 * Only the REST routes (the AWS JSON endpoint's contract is the AWS KMS API; /health is for operators), and
 * the SigV4 header as an optional scheme: without it the caller is the default account's anonymous principal.
 */
const restApiOnly = (document: OpenAPIObject): OpenAPIObject => ({
  ...document,
  paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`))),
  security: [{}, { [SIGV4_SECURITY]: [] }],
});

/** Builds the OpenAPI document from the controllers' decorators; serves it at /openapi.json and Swagger UI at /docs. */
export function setUpOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Keyledger REST API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addSecurity(SIGV4_SECURITY, {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'An AWS SigV4 Authorization header; only its credential scope (access key id, region) is read. Optional.',
    })
    .build();
  const document = restApiOnly(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH, raw: ['json'], customSiteTitle: 'Keyledger REST API' });
  return document;
}
