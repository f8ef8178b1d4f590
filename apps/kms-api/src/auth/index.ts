import type { Provider } from '@nestjs/common';
import { CredentialStore } from './credentials';
import { AUTHENTICATION_OPTIONS, CREDENTIAL_STORE, RequestAuthenticator } from './request-authenticator';

export * from './credentials';
export * from './request-authenticator';

/** The settings the authentication providers read from the configuration. */
export const AUTH_CONFIG = Symbol('AuthConfig');
export interface AuthConfig {
  credentialsFile?: string;
  defaultCredentials: boolean;
  defaultAccountId: string;
  defaultRegion: string;
  signingThread: boolean;
}

/** Who may call: the credentials store (file and default), the one request authenticator. */
export const AUTHENTICATION_PROVIDERS: Provider[] = [
  {
    provide: CREDENTIAL_STORE,
    useFactory: (c: AuthConfig) => new CredentialStore({ file: c.credentialsFile, allowDefault: c.defaultCredentials, defaultAccountId: c.defaultAccountId }),
    inject: [AUTH_CONFIG],
  },
  { provide: AUTHENTICATION_OPTIONS, useFactory: (c: AuthConfig) => ({ defaultRegion: c.defaultRegion, signingThread: c.signingThread }), inject: [AUTH_CONFIG] },
  RequestAuthenticator,
];
