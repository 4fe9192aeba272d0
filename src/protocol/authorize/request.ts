// Reads and checks an /authorize request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1). The client and redirect_uri are checked first:
// while either is wrong nothing may be redirected, so those failures carry no redirect target and the
// browser sees an error page (RFC 6749 §4.1.2.1). Every later failure goes back to the redirect URI.
import type { Client, Stores } from '../../store/types.js';
import { OAuthError, type OAuthErrorCode } from '../errors.js';
import { readIdTokenHint } from '../id-token-hint.js';
import type { Keyring } from '../keys/keyring.js';
import { parseScope } from '../scopes.js';
import { isResponseMode, type ResponseMode } from '../response-modes/index.js';
import { oversizedParameter, parameterSizes, tooLongDescription } from './parameter-sizes.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';

export type { ResponseMode };

export type Prompt = 'none' | 'login' | 'consent';

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
  /** The database connection to sign in with. */
  connection: string;
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

/** OIDC Core §3 and Multiple Response Type Encoding Practices: every response_type, its words in this order. */
export const responseTypeNames = [
  'code',
  'token',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
] as const;
const prompts: readonly string[] = ['none', 'login', 'consent'];
const known = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'audience',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'screen_hint',
  'connection',
  'id_token_hint',
];

/** A response type's words in any order: `id_token code` is `code id_token`. */
function normaliseResponseType(value: string): string {
  const order = ['code', 'id_token', 'token'];
  const words = value.split(' ').filter(Boolean);
  return [...words].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(' ');
}

/**
 * At most 10 ext-* parameters, names ^ext-[\w-]{1,28}$, values ^[-\w.*~@+ /:]{1,255}$ (Auth0 docs: "Customize Universal
 * Login Page Templates", /docs/customize/login-pages/universal-login/customize-templates).
 */
function parseExtParams(params: Record<string, string>): Record<string, string> {
  const ext = Object.entries(params).filter(([name]) => name.startsWith('ext-'));
  if (ext.length > 10)
    throw new OAuthError('invalid_request', 'error parsing ext params: more than 10 ext-* parameters');
  for (const [name, value] of ext) {
    if (!/^ext-[\w-]{1,28}$/.test(name))
      throw new OAuthError('invalid_request', `error parsing ext params: invalid name ${name}`);
    if (!/^[-\w.*~@+ /:]{1,255}$/.test(value))
      throw new OAuthError('invalid_request', `error parsing ext params: invalid value for ${name}`);
  }
  return Object.fromEntries(ext);
}

export interface AuthorizeDeps {
  stores: Pick<Stores, 'clients' | 'connections' | 'resourceServers' | 'tenant'>;
  /** Our published keys and issuer, to verify an id_token_hint. */
  keyring: Pick<Keyring, 'publicKeys'>;
  issuer: string;
  /** Database connections enabled for a client, by name (for the default connection). */
  databaseConnections(clientId: string): Promise<string[]>;
}

/** Checks the client and redirect_uri. Throws an AuthorizeError without target when either is wrong. */
export async function verifyClientAndRedirect(
  raw: RawParams,
  deps: AuthorizeDeps,
): Promise<{ client: Client; redirect_uri: string }> {
  const single = (name: string) => {
    const value = raw[name];
    if (Array.isArray(value))
      throw new AuthorizeError(new OAuthError('invalid_request', `Parameter sent more than once: ${name}`));
    return value || undefined;
  };
  const clientId = single('client_id');
  if (!clientId) throw new AuthorizeError(new OAuthError('invalid_request', 'Missing required parameter: client_id'));
  const client = await deps.stores.clients.get(clientId);
  if (!client) throw new AuthorizeError(new OAuthError('invalid_request', `Unknown client: ${clientId}`));
  const redirectUri = single('redirect_uri');
  if (!redirectUri)
    throw new AuthorizeError(new OAuthError('invalid_request', 'Missing required parameter: redirect_uri'));
  if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new AuthorizeError(
      new OAuthError(
        'invalid_request',
        `The redirect_uri "${redirectUri}" is not in the list of allowed callback URLs of the application`,
      ),
    );
  }
  return { client, redirect_uri: redirectUri };
}

export async function parseAuthorizeRequest(
  raw: RawParams,
  deps: AuthorizeDeps,
): Promise<{ client: Client; request: AuthorizeRequest }> {
  const { client, redirect_uri } = await verifyClientAndRedirect(raw, deps);
  const params: Record<string, string> = {};
  const repeated = known.find((name) => Array.isArray(raw[name]));
  for (const [name, value] of Object.entries(raw)) if (typeof value === 'string' && value !== '') params[name] = value;
  // RFC 6749 §4.1.2.1: an error response repeats state; one too long to repeat gets the error page instead.
  if ((params.state?.length ?? 0) > parameterSizes.state)
    throw new AuthorizeError(new OAuthError('invalid_request', tooLongDescription('state')));

  // From here on errors go back to the client, in the response mode it asked for when that is valid.
  const responseType = params.response_type ? normaliseResponseType(params.response_type) : undefined;
  const parts = new Set(responseType?.split(' '));
  const modeParam = params.response_mode;
  // Multiple Response Type Encoding Practices §2.1, §5: fragment by default only for types that return a
  // token from /authorize; anything else (code, an unknown type) gets the query a server-side callback reads.
  const frontChannelTokens = parts.has('token') || parts.has('id_token');
  const defaultMode: ResponseMode = frontChannelTokens ? 'fragment' : 'query';
  if (modeParam === 'web_message' && !client.web_origins.includes(new URL(redirect_uri).origin)) {
    // Only web_origins may receive a web_message answer, errors included (Auth0 docs: "Application Settings",
    // /docs/get-started/applications/application-settings, "Allowed Web Origins").
    throw new AuthorizeError(
      new OAuthError(
        'invalid_request',
        `The origin of "${redirect_uri}" is not in the list of allowed web origins of the application`,
      ),
    );
  }
  const target: RedirectTarget = {
    redirect_uri,
    // Tokens never travel in a query (Multiple Response Type Encoding Practices §5): an error for such a
    // request goes in the fragment too.
    response_mode:
      modeParam && isResponseMode(modeParam) && !(modeParam === 'query' && frontChannelTokens)
        ? modeParam
        : defaultMode,
    state: params.state,
    web_origins: client.web_origins,
  };
  const fail = (code: OAuthErrorCode, description: string): never => {
    throw new AuthorizeError(new OAuthError(code, description), target);
  };

  if (repeated) fail('invalid_request', `Parameter sent more than once: ${repeated}`);
  // Before any check that quotes a value back: the error never carries more than the limit.
  const oversized = oversizedParameter(params);
  if (oversized) fail('invalid_request', tooLongDescription(oversized));
  if (!responseType) fail('invalid_request', 'Missing required parameter: response_type');
  if (!(responseTypeNames as readonly string[]).includes(responseType!))
    fail('unsupported_response_type', `Unsupported response type: ${params.response_type}`);
  if (modeParam && !isResponseMode(modeParam)) fail('invalid_request', `Unsupported response_mode: ${modeParam}`);
  if (modeParam === 'query' && frontChannelTokens) {
    fail(
      'invalid_request',
      `response_mode=query is not allowed for response_type=${responseType}: tokens never travel in a query`,
    );
  }
  if (parts.has('code') && !client.grant_types.includes('authorization_code')) {
    fail('unauthorized_client', "Grant type 'authorization_code' not allowed for the client.");
  }
  if (frontChannelTokens && !client.grant_types.includes('implicit')) {
    fail('unauthorized_client', "Grant type 'implicit' not allowed for the client.");
  }
  const scope = parseScope(params.scope);
  if (parts.has('id_token')) {
    // OIDC Core §3.2.2.1, §3.3.2.11: an ID token from /authorize needs openid and a nonce.
    if (!scope.includes('openid')) fail('invalid_request', `response_type=${responseType} requires the openid scope`);
    if (!params.nonce) fail('invalid_request', 'Missing required parameter: nonce');
  }

  // RFC 7636 and OAuth 2.0 Security BCP §2.1.1: S256 only; public clients must use it.
  const method = params.code_challenge_method;
  if (params.code_challenge) {
    if (!method || method === 'plain')
      fail('invalid_request', 'code_challenge_method must be S256 (plain is not allowed)');
    if (method !== 'S256') fail('invalid_request', `Unsupported code_challenge_method: ${method}`);
    if (!/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge))
      fail('invalid_request', 'code_challenge must be a base64url SHA-256 hash (43 characters)');
  } else if (method) {
    fail('invalid_request', 'Missing required parameter: code_challenge');
  } else if (client.token_endpoint_auth_method === 'none' && parts.has('code')) {
    fail('invalid_request', 'Missing required parameter: code_challenge (PKCE is required for public clients)');
  }

  const prompt = (params.prompt ?? '').split(' ').filter(Boolean);
  const unknownPrompt = prompt.find((p) => !prompts.includes(p));
  if (unknownPrompt) fail('invalid_request', `Unsupported prompt value: ${unknownPrompt}`);
  // OIDC Core §3.1.2.1: none must stand alone.
  if (prompt.includes('none') && prompt.length > 1)
    fail('invalid_request', 'prompt=none cannot be combined with other values');

  let hintSub: string | undefined;
  if (params.id_token_hint) {
    // OIDC Core §3.1.2.1: an ID token we issued to this client (as node-oidc-provider checks aud), expired or not.
    const hint = await readIdTokenHint(params.id_token_hint, deps.keyring, deps.issuer);
    if (!hint?.sub) fail('invalid_request', 'Invalid id_token_hint: not an ID token issued by this server');
    if (!hint!.aud.includes(client.client_id))
      fail('invalid_request', 'Invalid id_token_hint: it was not issued to this application');
    hintSub = hint!.sub;
  }

  let maxAge: number | undefined;
  if (params.max_age !== undefined) {
    if (!/^\d{1,10}$/.test(params.max_age)) fail('invalid_request', 'max_age must be a non-negative integer');
    maxAge = Number(params.max_age);
  }

  let ext: Record<string, string> = {};
  try {
    ext = parseExtParams(params);
  } catch (error) {
    throw new AuthorizeError(error as OAuthError, target);
  }

  const enabled = await deps.databaseConnections(client.client_id);
  let connection: string | undefined;
  if (params.connection) {
    const found = await deps.stores.connections.getByName(params.connection);
    if (!found?.enabled_clients.includes(client.client_id)) {
      fail('invalid_request', `The connection "${params.connection}" is not enabled for this application`);
    }
    if (found!.strategy !== 'auth0')
      fail(
        'invalid_request',
        `Passwordless sign-in (connection "${params.connection}") is not available on this server yet`,
      );
    connection = params.connection;
  } else {
    const tenant = await deps.stores.tenant.get();
    connection =
      tenant.default_directory && enabled.includes(tenant.default_directory) ? tenant.default_directory : enabled[0];
    if (!connection) fail('invalid_request', 'No database connection is enabled for this application');
  }

  const audience = params.audience ?? (await deps.stores.tenant.get()).default_audience;
  if (audience && !(await deps.stores.resourceServers.getByIdentifier(audience)))
    fail('access_denied', `Service not found: ${audience}`);

  return {
    client,
    request: {
      client_id: client.client_id,
      redirect_uri,
      response_type: responseType!,
      response_mode: target.response_mode,
      scope,
      state: params.state,
      nonce: params.nonce,
      audience,
      code_challenge: params.code_challenge,
      code_challenge_method: params.code_challenge ? 'S256' : undefined,
      prompt: prompt as Prompt[],
      max_age: maxAge,
      login_hint: params.login_hint,
      screen_hint: params.screen_hint,
      id_token_hint_sub: hintSub,
      connection: connection!,
      ext,
    },
  };
}
