import { AuditController } from './audit/audit.controller';
import { RestContextResolver } from './http/rest-context';
import { CRYPTO_CONTROLLERS } from './keys/crypto-controllers';
import { KeyEventsController } from './keys/key-events.controller';
import { KeyMaterialController } from './keys/key-material.controller';
import { KeyUsageController } from './keys/key-usage.controller';
import { KeysController } from './keys/keys.controller';

export { FilterByPath } from './errors/filter-by-path';
export { RestProblemFilter } from './errors/rest-problem.filter';
export { restJsonBody } from './http/json-body';
export { REST_PREFIX, setUpOpenApi } from './openapi/openapi';

/** The REST API (/v1, OpenAPI at /openapi.json): registered in the composition root beside the AWS endpoint. */
export const REST_CONTROLLERS = [KeysController, KeyMaterialController, KeyEventsController, KeyUsageController, ...CRYPTO_CONTROLLERS, AuditController];
export const REST_PROVIDERS = [RestContextResolver];
