import type { Request } from 'express';

/** An Express request once RequestIdInterceptor has named it. */
export type RestRequest = Request & { requestId?: string };
