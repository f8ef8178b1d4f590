import { AdminClockController } from './admin-clock.controller';

export { ServiceClock, SERVICE_MODE, clockOffsetMs, type ServiceMode } from './service-clock';

/** Operator routes under /v1/admin (the test clock); registered in the composition root. */
export const ADMIN_CONTROLLERS = [AdminClockController];
