// Reads and checks an /authorize request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): a pipeline over one file per
// rule, in a fixed order (the error a request with several faults gets depends on it). The client and
// redirect_uri are checked first: while either is wrong nothing may be redirected, so those failures carry no
// redirect target and the browser sees an error page (RFC 6749 §4.1.2.1). Every later failure goes back to the
// redirect URI.
import type { Client, Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { ResponseMode } from '../response-modes/index.js';
import { parseScope } from '../scopes.js';
import { resolveAudience } from './audience.js';
import { resolveConnection } from './connection.js';
import { parseExtParams } from './ext-params.js';
import { checkIdTokenHint } from './id-token-hint.js';
import { checkParameterSizes, checkStateSize } from './parameter-sizes.js';
import { checkRepeatedParameters, singleValues } from './parameters.js';
import { checkCodeChallenge } from './pkce.js';
import { type Prompt, parseMaxAge, parsePrompt } from './prompt.js';
import { checkClientAndRedirectUri } from './redirect-uri.js';
import { checkResponseMode, checkWebMessageOrigin, resolveResponseMode } from './response-mode.js';
import {
  checkIdTokenRequirements,
  checkResponseType,
  checkResponseTypeAllowed,
  normaliseResponseType,
} from './response-type.js';

export type { Prompt, ResponseMode };
export { responseTypeNames } from './response-type.js';

export interface AuthorizeRequest {
  client_id: string;
  redirect_uri: string;
  /** Normalised: `code`, `token`, `id_token`, `id_token token`, `code id_token`, `code token`, `code id_token token`. */
  response_type: string;
  response_mode: ResponseMode;
  scope: string[];
  state?: string;
  nonce?: string;
  audience?: string;
  code_challenge?: string;
  code_challenge_method?: 'S256';
  prompt: Prompt[];
  max_age?: number;
  login_hint?: string;
  screen_hint?: string;
  /** The user a verified id_token_hint names: only that user may be signed in silently. */
  id_token_hint_sub?: string;
  /** The connection to sign in with: a database connection, or a passwordless one (`email`, `sms`). */
  connection: string;
  /** A ticket from /co/authenticate (cross-origin authentication) that signs the browser in. */
  login_ticket?: string;
  /** The ext-* parameters, for the page template (transaction.params). */
  ext: Record<string, string>;
}

export interface RedirectTarget {
  redirect_uri: string;
  response_mode: ResponseMode;
  state?: string;
  /** The client's web_origins: who may frame a web_message answer. */
  web_origins: readonly string[];
}

/** An /authorize failure: with a target it goes back to the client, without one it is an error page. */
export class AuthorizeError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly target?: RedirectTarget,
  ) {
    super(error.message, { cause: error });
  }
}

export type RawParams = Record<string, string | string[] | undefined>;

export interface AuthorizeDeps {
  stores: Pick<Stores, 'clients' | 'connections' | 'resourceServers' | 'tenant'>;
  /** Our published keys and issuer, to verify an id_token_hint. */
  keyring: Pick<Keyring, 'publicKeys'>;
  issuer: string;
  /** Database connections enabled for a client, by name (for the default connection). */
  databaseConnections(clientId: string): Promise<string[]>;
}

/** Runs checks whose OAuthError becomes an AuthorizeError: to the target when there is one, else an error page. */
async function failingTo<T>(target: RedirectTarget | undefined, checks: () => T | Promise<T>): Promise<T> {
  try {
    return await checks();
  } catch (error) {
    throw error instanceof OAuthError ? new AuthorizeError(error, target) : error;
  }
}

export async function parseAuthorizeRequest(
  raw: RawParams,
  deps: AuthorizeDeps,
): Promise<{ client: Client; request: AuthorizeRequest }> {
  const { client, redirect_uri } = await failingTo(undefined, () =>
    checkClientAndRedirectUri(raw, deps.stores.clients),
  );
  const params = singleValues(raw);
  const normalised = params.response_type ? normaliseResponseType(params.response_type) : undefined;
  await failingTo(undefined, () => {
    checkStateSize(params.state);
    checkWebMessageOrigin(params.response_mode, redirect_uri, client);
  });

  // From here on errors go back to the client, in the response mode it asked for when that is valid.
  const response_mode = resolveResponseMode(params.response_mode, normalised);
  const target: RedirectTarget = { redirect_uri, response_mode, state: params.state, web_origins: client.web_origins };
  return failingTo(target, async () => {
    checkRepeatedParameters(raw);
    checkParameterSizes(params);
    const response_type = checkResponseType(params.response_type, normalised);
    checkResponseMode(params.response_mode, response_type);
    checkResponseTypeAllowed(client, response_type);
    const scope = parseScope(params.scope);
    checkIdTokenRequirements(response_type, scope, params.nonce);
    const { code_challenge, code_challenge_method } = checkCodeChallenge(params, client, response_type);
    const prompt = parsePrompt(params.prompt);
    const id_token_hint_sub = await checkIdTokenHint(params.id_token_hint, client, deps);
    const max_age = parseMaxAge(params.max_age);
    const ext = parseExtParams(params);
    // auth0.js's embedded login names the database connection `realm` (its webAuth.login option).
    const connection = await resolveConnection(params.connection ?? params.realm, client, deps);
    const audience = await resolveAudience(params.audience, deps.stores);
    return {
      client,
      request: {
        client_id: client.client_id,
        redirect_uri,
        response_type,
        response_mode,
        scope,
        state: params.state,
        nonce: params.nonce,
        audience,
        code_challenge,
        code_challenge_method,
        prompt,
        max_age,
        login_hint: params.login_hint,
        screen_hint: params.screen_hint,
        id_token_hint_sub,
        connection,
        login_ticket: params.login_ticket,
        ext,
      },
    };
  });
}
