// The device authorization endpoint (RFC 8628 §3.1, §3.2) and the rules of its user codes. A device asks
// for a device code (which it keeps, and polls the token endpoint with: grants/device-code.ts) and a user
// code (which a person types at /activate: login/device.ts). Only the device code's hash is stored.
import { randomInt } from 'node:crypto';
import { endpoints } from '../config.js';
import { sha256 } from '../crypto/hash.js';
import { randomSecret } from '../crypto/random.js';
import type { Stores } from '../store/types.js';
import { resolveAudience } from './authorize/audience.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { OAuthError } from './errors.js';
import { parseScope } from './scopes.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Auth0's default user code (Auth0 docs: "Configure Device User Code Settings"): eight characters of "base20",
 * letters without vowels or look-alikes (RFC 8628 §6.1 recommends such an alphabet: no words, few typos),
 * shown as XXXX-XXXX. 20^8 ≈ 2.6·10^10 codes; guessing is limited at /activate.
 */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
const USER_CODE = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);
/** RFC 8628 §3.2: the seconds a device waits between polls unless told to slow down. */
export const POLL_INTERVAL_S = 5;
/** Draws of a user code before giving up (a collision with a live code is a one in millions event). */
const MAX_DRAWS = 5;

/** The parameters /oauth/device/code reads, besides client authentication. */
export const deviceAuthorizationParameters = ['scope', 'audience'] as const;

export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** XXXX-XXXX, as the code is shown and returned. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * RFC 8628 §6.1: what the person typed, case and dashes (and spaces) ignored; undefined when it cannot be a
 * user code at all.
 */
export function normaliseUserCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return USER_CODE.test(code) ? code : undefined;
}

export interface DeviceAuthorizationRequest {
  params: Readonly<Record<string, string | undefined>>;
  authorization: string | undefined;
}

export interface DeviceAuthorizationDeps extends ClientAuthDeps {
  stores: ClientAuthDeps['stores'] & Pick<Stores, 'deviceCodes' | 'resourceServers' | 'tenant'>;
  /** Seconds a device code lives (config). */
  deviceCodeLifetime: number;
}

/** RFC 8628 §3.2's answer. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** POST /oauth/device/code: authenticates the client as the token endpoint does, then issues the two codes. */
export async function startDeviceAuthorization(
  request: DeviceAuthorizationRequest,
  deps: DeviceAuthorizationDeps,
): Promise<DeviceAuthorizationResponse> {
  const { client } = await authenticateClient(request.authorization, request.params, deps);
  // The client must list the grant, as at the token endpoint (Auth0 docs: "Call Your API Using the Device
  // Authorization Flow": the application's grant types include Device Code).
  if (!client.grant_types.includes(DEVICE_CODE_GRANT))
    throw new OAuthError('unauthorized_client', `Grant type '${DEVICE_CODE_GRANT}' not allowed for the client.`);
  const scope = parseScope(request.params.scope);
  const audience = await resolveAudience(request.params.audience, deps.stores);
  const now = deps.now();
  const deviceCode = randomSecret();
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const userCode = newUserCode();
    const stored = await deps.stores.deviceCodes.insert({
      device_code_hash: sha256(deviceCode),
      user_code: userCode,
      client_id: client.client_id,
      scope: scope.join(' '),
      audience: audience ?? null,
      created_at: now,
      expires_at: now + deps.deviceCodeLifetime * 1000,
      poll_interval: POLL_INTERVAL_S,
      last_polled_at: null,
      status: 'pending',
      user_id: null,
      sid: null,
      auth_time: null,
      redeemed_at: null,
    });
    if (!stored) continue;
    const shown = formatUserCode(userCode);
    const activate = endpoints(deps.issuer).activate;
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: activate,
      // RFC 8628 §3.3.1: the code in the URI as it was returned, so the page can fill it in.
      verification_uri_complete: `${activate}?user_code=${encodeURIComponent(shown)}`,
      expires_in: deps.deviceCodeLifetime,
      interval: POLL_INTERVAL_S,
    };
  }
  throw new Error('no free user code after several draws');
}
