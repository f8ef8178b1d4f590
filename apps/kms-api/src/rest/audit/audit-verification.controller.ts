import { Get, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiPlainResponse, ApiProblems } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { AuditVerification } from './audit-verification';
import { AuditVerificationResource } from './audit-verification.dto';

/** The audit log's tamper evidence (hash chains and signed digests), read-only, for the console and for monitoring. */
@RestEndpoint('v1/audit/verification', 'audit')
export class AuditVerificationController {
  constructor(
    private readonly verification: AuditVerification,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'verifyAuditLog',
    summary: "Verify the audit log's hash chains and signed digests",
    description:
      "Recomputes every event's hash and every stream's chain, and checks each signed digest with the service's digest signing public key " +
      '(what `keyledger verify` does). The verdict covers the whole log; events are described only when they belong to the caller\'s account.',
  })
  @ApiPlainResponse(AuditVerificationResource, 'The verification report.')
  @ApiProblems(500)
  async verify(@Req() request: RestRequest): Promise<AuditVerificationResource> {
    const { accountId } = this.contexts.identify(request, 'VerifyAuditLog');
    const { report, problems, firstProblem } = await this.verification.verifyFor(accountId);
    return {
      ok: report.ok,
      verifiedAt: new Date().toISOString(),
      publicKeyFingerprint: this.verification.publicKeyFingerprint,
      eventCount: report.eventCount,
      headPosition: report.headPosition,
      digestCount: report.digestCount,
      lastDigest: report.lastDigest,
      undigestedEventCount: report.undigestedEventCount,
      problemCount: report.problemCount,
      firstProblem,
      problems,
      warnings: report.warnings,
    };
  }
}
