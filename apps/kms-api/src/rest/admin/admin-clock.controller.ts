import { Body, Get, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { CLOCK, Clock, EVENT_STORE, MaintenanceJob, PROJECTION_PROGRESS } from '@keyledger/application';
import type { EventStore } from '@keyledger/event-store';
import type { ProjectionRunner } from '@keyledger/projections';
import { AwsProtocolError } from '../../aws-json/aws-protocol-error';
import { RestHttpError } from '../errors/rest-http-error';
import { RestContextResolver } from '../http/rest-context';
import type { RestRequest } from '../http/rest-request';
import { ApiPlainResponse, ApiProblemsWith } from '../openapi/api-decorators';
import { RestEndpoint } from '../rest-endpoint.decorator';
import { ClockResource, MoveClockBody } from './clock.dto';
import { clockOffsetMs, isAdjustable, SERVICE_MODE, type ServiceMode } from './service-clock';

const READ_MODELS_WAIT_MS = 5000;
const PRODUCTION_ONLY_403 = 'Production mode: the service clock is the wall clock and cannot be moved (AccessDeniedException).';

/**
 * The test clock (development mode only): moves the service clock forward, then runs a maintenance sweep at once,
 * so material past its ValidTo is recorded as expired, keys past their deletion date are deleted and import
 * tokens have lapsed by the time the call answers. Authenticated like every REST route; refused in production.
 */
@RestEndpoint('v1/admin/clock', 'admin')
export class AdminClockController {
  private readonly logger = new Logger('TestClock');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_MODE) private readonly mode: ServiceMode,
    private readonly maintenance: MaintenanceJob,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionRunner,
    private readonly contexts: RestContextResolver,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'getClock', summary: "The service clock: its time, the mode and how far it runs ahead of the wall clock" })
  @ApiPlainResponse(ClockResource, 'The service clock.')
  @ApiProblemsWith({}, 400, 500)
  getClock(@Req() request: RestRequest): ClockResource {
    this.contexts.identify(request, 'GetClock');
    return this.describe();
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'moveClock',
    summary: 'Move the service clock forward (development mode only)',
    description:
      'Give exactly one of `advanceSeconds` (move forward by) or `offsetSeconds` (run this far ahead of the wall clock). Events then record the ' +
      "moved time, and a maintenance sweep runs before the answer: expired material, ended deletion windows, due rotations. The clock never goes back; " +
      'a restart is back on the wall clock. Refused in production mode.',
  })
  @ApiBody({ type: MoveClockBody })
  @ApiPlainResponse(ClockResource, 'The service clock after the move, with what the sweep did.')
  @ApiProblemsWith({ 403: PRODUCTION_ONLY_403, 400: 'Not exactly one of advanceSeconds and offsetSeconds, not an integer, out of range, or an offset below the current one (ValidationException).' }, 400, 403, 413, 415, 500)
  async moveClock(@Req() request: RestRequest, @Body() body: MoveClockBody): Promise<ClockResource> {
    const ctx = this.contexts.identify(request, 'MoveClock');
    if (this.mode !== 'development' || !isAdjustable(this.clock)) {
      throw new RestHttpError(403, 'test-clock-disabled', 'The test clock is off', 'The service clock can only be moved in development mode (KEYLEDGER_MODE=development).', 'AccessDeniedException');
    }
    const advanceMs = this.requestedAdvanceMs(body);
    this.clock.advance(advanceMs);
    this.logger.warn({ msg: 'test clock moved forward', by: ctx.principal.name, advanceSeconds: advanceMs / 1000, offsetSeconds: clockOffsetMs(this.clock) / 1000 });
    // The sweep finds due keys in the read models: let them catch up with what was written before the move.
    await this.projections.waitForPosition(await this.store.headPosition(), READ_MODELS_WAIT_MS);
    const sweep = await this.maintenance.sweepNow();
    return { ...this.describe(), sweep };
  }

  private requestedAdvanceMs({ advanceSeconds, offsetSeconds }: MoveClockBody): number {
    if ((advanceSeconds === undefined) === (offsetSeconds === undefined)) {
      throw new AwsProtocolError('ValidationException', 'Give exactly one of advanceSeconds and offsetSeconds.');
    }
    if (advanceSeconds !== undefined) return advanceSeconds * 1000;
    const current = clockOffsetMs(this.clock);
    const target = offsetSeconds! * 1000;
    if (target < current) {
      throw new AwsProtocolError('ValidationException', `The clock already runs ${current / 1000} s ahead; it only moves forward (offsetSeconds >= ${Math.ceil(current / 1000)}).`);
    }
    return target - current;
  }

  private describe(): ClockResource {
    const wall = Date.now();
    const now = this.clock.now();
    return { mode: this.mode, now: new Date(now).toISOString(), wallClock: new Date(wall).toISOString(), offsetSeconds: clockOffsetMs(this.clock) / 1000 };
  }
}
