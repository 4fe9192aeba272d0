import { authorizationCode } from './authorization-code.js';
import { clientCredentials } from './client-credentials.js';
import { deviceCode } from './device-code.js';
import { password } from './password.js';
import { passwordRealm } from './password-realm.js';
import { passwordlessOtp } from './passwordless-otp.js';
import { refreshToken } from './refresh-token.js';
import type { Grant } from './types.js';

/**
 * Every grant_type name Gatehouse knows, built or not yet, in Auth0's spelling (Auth0 docs: "Application Grant Types",
 * /docs/get-started/applications/application-grant-types); any other is unsupported_grant_type (RFC 6749 §5.2).
 */
export const grantTypeNames = [
  'authorization_code',
  'client_credentials',
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'refresh_token',
  'http://auth0.com/oauth/grant-type/passwordless/otp',
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;

/** Auth0's names for a client's grant_types: the token grants plus implicit. */
export const clientGrantTypeNames: readonly string[] = [...grantTypeNames, 'implicit'];

/** The grants this server can issue tokens for today, by grant_type. */
export const grants = new Map<string, Grant>(
  [clientCredentials, authorizationCode, refreshToken, password, passwordRealm, passwordlessOtp, deviceCode].map(
    (g) => [g.grantType, g],
  ),
);
