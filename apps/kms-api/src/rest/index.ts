import { AliasesController, KeyAliasesController } from './aliases/aliases.controller';
import { AuditController } from './audit/audit.controller';
import { AuditVerification } from './audit/audit-verification';
import { AuditVerificationController } from './audit/audit-verification.controller';
import { RestContextResolver } from './http/rest-context';
import { CRYPTO_CONTROLLERS } from './keys/crypto-controllers';
import { KeyEventsController } from './keys/key-events.controller';
import { KeyLifecycleController } from './keys/key-lifecycle.controller';
import { KeyMaterialController } from './keys/key-material.controller';
import { KeyPolicyController } from './keys/key-policy.controller';
import { KeyRotationController } from './keys/key-rotation.controller';
import { KeyTagsController } from './keys/key-tags.controller';
import { KeyUsageController } from './keys/key-usage.controller';
import { KeysController } from './keys/keys.controller';

export { FilterByPath } from './errors/filter-by-path';
export { RestProblemFilter } from './errors/rest-problem.filter';
export { restJsonBody } from './http/json-body';
export { REST_PREFIX, setUpOpenApi } from './openapi/openapi';

/** The REST API (/v1, OpenAPI at /openapi.json): registered in the composition root beside the AWS endpoint. */
export const REST_CONTROLLERS = [
  KeysController,
  KeyMaterialController,
  KeyLifecycleController,
  KeyTagsController,
  KeyPolicyController,
  KeyRotationController,
  KeyAliasesController,
  KeyEventsController,
  KeyUsageController,
  ...CRYPTO_CONTROLLERS,
  AliasesController,
  AuditController,
  AuditVerificationController,
];
export const REST_PROVIDERS = [RestContextResolver, AuditVerification];
