import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Caller, RequestAuthenticator } from '../../auth/request-authenticator';
import type { RestRequest } from './rest-request';

/**
 * Every REST route authenticates like the AWS endpoint (SigV4 over the exact body bytes), or with a bearer token
 * from the credentials file. Only /health and the OpenAPI document stay open (they are not REST controllers).
 */
@Injectable()
export class RestAuthenticationGuard implements CanActivate {
  constructor(private readonly authenticator: RequestAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RestRequest>();
    request.caller = await this.authenticator.rest({
      method: request.method,
      url: request.originalUrl,
      headers: request.headers,
      body: request.rawBody ?? Buffer.alloc(0),
    });
    return true;
  }
}

export type { Caller };
