// The /authorize state machine. The protocol never renders HTML and the login pages never issue codes:
//
//   /authorize ──client or redirect_uri wrong──> error page (400), nothing redirected
//       │ ok
//       ├── other error ─────────────────────────> error to redirect_uri (response mode, state, iss)
//       ├── live session, no prompt=login, max_age ok, id_token_hint (if any) names its user ──> code ──> response mode
//       ├── prompt=none ─────────────────────────> login_required to redirect_uri
//       └── else: store a login transaction ──> /u/login?state=<tx>
//             (past the network's or browser's cap on pending ones: error page, 429, nothing stored)
//       └── signed in, but consent needed (third party, API, prompt=consent) ──> /u/consent?state=<tx>
//           (prompt=none instead: consent_required)
//   /u/login (login/) checks the password, starts the session ──> /authorize/resume?state=<tx>
//   /u/consent stores an Accept ──> /authorize/resume; a Decline ──> access_denied to redirect_uri
//   /authorize/resume: signed in for this transaction? consent still needed? ──> consume (once) ──> code
//       (a transaction the device activation page started goes back to that page: login/device.ts)
//   /authorize?login_ticket (embedded login, protocol/cross-origin.ts): ticket redeemed (once) ──> session ──>
//       consent or code as above; a ticket that cannot be redeemed ──> access_denied to redirect_uri
import { randomSecret } from '../../crypto/random.js';
import { sha256 } from '../../crypto/hash.js';
import type { Client, PendingLoginLimits, Session, Store, TransactionOwners, User } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { type AuthorizationResponse, responseModes } from '../response-modes/index.js';
import type { Keyring } from '../keys/keyring.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import { scopesToConsent } from './consent.js';
import { tooManyPendingLogins } from './pending-logins.js';
import {
  type AuthorizeDeps,
  AuthorizeError,
  type AuthorizeRequest,
  parseAuthorizeRequest,
  type RawParams,
  type RedirectTarget,
} from './request.js';

/** RFC 6749 §4.1.2: codes are short-lived; SPEC: 60 seconds. */
export const CODE_LIFETIME_MS = 60_000;
/** How long a person has to complete the login page. */
export const TRANSACTION_LIFETIME_MS = 30 * 60_000;

export type Decision =
  | { kind: 'respond'; response: AuthorizationResponse }
  | { kind: 'login'; transactionId: string }
  | { kind: 'consent'; transactionId: string }
  | { kind: 'continue'; location: string };

/** What a login transaction remembers between the pages. */
export interface InteractionState {
  request: AuthorizeRequest;
  /** The session that was already signed in when the transaction began (it only needs consent). */
  sessionSid?: string;
  /** The consent page was answered with Accept in this transaction (prompt=consent asks once). */
  consented?: boolean;
  /**
   * A sign-in that is not an /authorize request (the device activation page): after the login page the
   * browser goes here (a path on this server, given the transaction as `state`) instead of getting a code.
   */
  continueAt?: string;
  /** The user code a device activation is for (protocol/device-activation.ts). */
  device?: { user_code: string };
}

export interface InteractionDeps extends AuthorizeDeps {
  stores: AuthorizeDeps['stores'] &
    Pick<Store, 'codes' | 'users' | 'loginTransactions' | 'consents' | 'roles' | 'refreshTokens'>;
  keyring: Keyring;
  issuer: string;
  now: () => number;
  /** How many pending login transactions a network and a browser may have (config). */
  pendingLogins: PendingLoginLimits;
}

/** Sends an error back to the client (RFC 6749 §4.1.2.1, RFC 9207 iss). */
export function errorResponse(target: RedirectTarget, error: OAuthError, issuer: string): AuthorizationResponse {
  return responseModes[target.response_mode](
    target.redirect_uri,
    { error: error.code, error_description: error.description, state: target.state, iss: issuer },
    target.web_origins,
  );
}

/**
 * The successful authorization response for the request's response_type: a code (stored, single use),
 * and for implicit and hybrid types the access token and/or ID token themselves (OIDC Core §3.2, §3.3).
 */
async function respond(
  request: AuthorizeRequest,
  client: Client,
  session: Session,
  user: User,
  deps: InteractionDeps,
): Promise<AuthorizationResponse> {
  const parts = new Set(request.response_type.split(' '));
  const now = deps.now();
  const params: Record<string, string | undefined> = {};
  if (parts.has('code')) {
    params.code = randomSecret();
    await deps.stores.codes.insert({
      code_hash: sha256(params.code),
      client_id: request.client_id,
      user_id: session.user_id,
      redirect_uri: request.redirect_uri,
      scope: request.scope.join(' '),
      audience: request.audience ?? null,
      nonce: request.nonce ?? null,
      code_challenge: request.code_challenge ?? null,
      code_challenge_method: request.code_challenge_method ?? null,
      sid: session.sid,
      auth_time: session.authenticated_at,
      created_at: now,
      expires_at: now + CODE_LIFETIME_MS,
      consumed_at: null,
      issued_jti: null,
      issued_expires_at: null,
      issued_family_id: null,
      replayed_at: null,
    });
  }
  if (parts.has('token') || parts.has('id_token')) {
    const { response } = await issueUserTokens(
      {
        client,
        user,
        requestedScope: request.scope,
        audience: request.audience,
        nonce: request.nonce,
        sid: session.sid,
        authTime: session.authenticated_at,
        frontChannel: { code: params.code, returnsAccessToken: parts.has('token') },
      },
      { stores: deps.stores, keyring: deps.keyring, issuer: deps.issuer, now: deps.now },
    );
    if (parts.has('token')) {
      Object.assign(params, {
        access_token: response.access_token,
        token_type: 'Bearer',
        expires_in: String(response.expires_in),
        scope: response.scope,
      });
    }
    if (parts.has('id_token')) params.id_token = response.id_token;
  }
  return responseModes[request.response_mode](
    request.redirect_uri,
    { ...params, state: request.state, iss: deps.issuer },
    client.web_origins,
  );
}

/** A session can sign this request in silently when its user may use the request's connection. */
export async function sessionUser(
  request: AuthorizeRequest,
  session: Session | undefined,
  deps: InteractionDeps,
): Promise<User | undefined> {
  if (!session) return undefined;
  const user = await deps.stores.users.get(session.user_id);
  if (!user || user.blocked || user.connection !== request.connection) return undefined;
  return user;
}

function targetOf(request: AuthorizeRequest, client: Client): RedirectTarget {
  return {
    redirect_uri: request.redirect_uri,
    response_mode: request.response_mode,
    state: request.state,
    web_origins: client.web_origins,
  };
}

/**
 * Stores the transaction within its owners' caps. Past a cap the browser gets the error page (429), not the
 * client an error: the cap is this network's or browser's, which the application cannot fix, and an
 * application that answers a sign-in error by starting a new one would only loop.
 */
export async function startTransaction(
  state: InteractionState,
  owners: TransactionOwners,
  deps: InteractionDeps,
): Promise<string> {
  const now = deps.now();
  const transactionId = randomSecret(24);
  const result = await deps.stores.loginTransactions.create(
    {
      id: transactionId,
      client_id: state.request.client_id,
      request: state,
      created_at: now,
      expires_at: now + TRANSACTION_LIFETIME_MS,
    },
    owners,
    deps.pendingLogins,
  );
  if (!result.created) throw new AuthorizeError(tooManyPendingLogins(result.retryAt, now));
  return transactionId;
}

/**
 * Starts the SSO session for a login ticket (cross-origin authentication) when the ticket is valid for the
 * request's client and connection; the caller sets the session cookie.
 */
export type TicketSignIn = (request: AuthorizeRequest & { login_ticket: string }) => Promise<Session | undefined>;

/** Throws AuthorizeError without a target when the browser must see an error page. */
export async function authorize(
  raw: RawParams,
  session: Session | undefined,
  owners: TransactionOwners,
  deps: InteractionDeps,
  signInWithTicket?: TicketSignIn,
): Promise<Decision> {
  let client: Client;
  let request: AuthorizeRequest;
  try {
    ({ client, request } = await parseAuthorizeRequest(raw, deps));
  } catch (error) {
    if (error instanceof AuthorizeError && error.target) {
      return { kind: 'respond', response: await errorResponse(error.target, error.error, deps.issuer) };
    }
    throw error;
  }
  if (request.login_ticket !== undefined) {
    return ticketLogin({ ...request, login_ticket: request.login_ticket }, client, owners, deps, signInWithTicket);
  }
  const now = deps.now();
  const fresh =
    request.max_age === undefined ||
    (session !== undefined && now - session.authenticated_at <= request.max_age * 1000);
  const signedIn =
    session && !request.prompt.includes('login') && fresh ? await sessionUser(request, session, deps) : undefined;
  // OIDC Core §3.1.2.1: when id_token_hint names another user than the session's, that session does not
  // sign the request in: login_required with prompt=none, else the login page.
  const hintMatches = request.id_token_hint_sub === undefined || signedIn?.user_id === request.id_token_hint_sub;
  const user = hintMatches ? signedIn : undefined;
  if (!user) {
    if (request.prompt.includes('none')) {
      // OIDC Core §3.1.2.6: no interaction allowed, and it would be needed.
      const error = new OAuthError(
        'login_required',
        session ? 'Login required: the session does not satisfy the request' : 'Login required',
      );
      return { kind: 'respond', response: await errorResponse(targetOf(request, client), error, deps.issuer) };
    }
    return { kind: 'login', transactionId: await startTransaction({ request }, owners, deps) };
  }
  return signedInResponse(request, client, session!, user, owners, deps);
}

/** A signed-in user: the consent page when consent is still needed, else the authorization response. */
async function signedInResponse(
  request: AuthorizeRequest,
  client: Client,
  session: Session,
  user: User,
  owners: TransactionOwners,
  deps: InteractionDeps,
): Promise<Decision> {
  if ((await scopesToConsent(request, client, user, request.prompt.includes('consent'), deps)).length) {
    if (request.prompt.includes('none')) {
      const error = new OAuthError('consent_required', 'Consent required');
      return { kind: 'respond', response: await errorResponse(targetOf(request, client), error, deps.issuer) };
    }
    const { login_ticket: _spent, ...stored } = request;
    return {
      kind: 'consent',
      transactionId: await startTransaction({ request: stored, sessionSid: session.sid }, owners, deps),
    };
  }
  return { kind: 'respond', response: await respond(request, client, session, user, deps) };
}

/**
 * /authorize with a login ticket (Auth0 cross-origin authentication): the ticket is the sign-in, so the flow
 * goes on as after the login page (consent, then the response). A ticket that is unknown, spent, expired, for
 * another client or connection, or from another browser signs nobody in: the client hears access_denied, as
 * Auth0 answers a late ticket, rather than its user being shown a login page the application did not expect.
 */
async function ticketLogin(
  request: AuthorizeRequest & { login_ticket: string },
  client: Client,
  owners: TransactionOwners,
  deps: InteractionDeps,
  signInWithTicket: TicketSignIn | undefined,
): Promise<Decision> {
  const session = signInWithTicket && (await signInWithTicket(request));
  const user = await sessionUser(request, session, deps);
  if (!session || !user) {
    const error = new OAuthError('access_denied', 'The login ticket is invalid, expired or was already used');
    return { kind: 'respond', response: await errorResponse(targetOf(request, client), error, deps.issuer) };
  }
  return signedInResponse(request, client, session, user, owners, deps);
}

const expired = () =>
  new AuthorizeError(
    new OAuthError(
      'invalid_request',
      'This sign-in has expired or was already completed. Return to the application and sign in again.',
    ),
  );

/** A transaction's state and the signed-in user it may continue with, or an error for the client. */
export async function transactionUser(transactionId: string, session: Session | undefined, deps: InteractionDeps) {
  const transaction = await deps.stores.loginTransactions.get(transactionId);
  if (!transaction) throw expired();
  const state = transaction.request as InteractionState;
  const signedInHere =
    session && (session.authenticated_at >= transaction.created_at || session.sid === state.sessionSid);
  const user = signedInHere ? await sessionUser(state.request, session, deps) : undefined;
  return { transaction, state, user };
}

/** /authorize/resume: after the login or consent page; sends to consent when it is still needed. */
export async function resumeAuthorization(
  transactionId: string,
  session: Session | undefined,
  deps: InteractionDeps,
): Promise<Decision> {
  const { state, user } = await transactionUser(transactionId, session, deps);
  // The page that started the sign-in checks for itself who signed in.
  if (state.continueAt)
    return { kind: 'continue', location: `${state.continueAt}?state=${encodeURIComponent(transactionId)}` };
  const { request } = state;
  const client = await deps.stores.clients.get(request.client_id);
  if (!client) throw expired();
  if (!user) {
    const error = new OAuthError('access_denied', 'The sign-in was not completed');
    return { kind: 'respond', response: await errorResponse(targetOf(request, client), error, deps.issuer) };
  }
  const force = request.prompt.includes('consent') && !state.consented;
  if ((await scopesToConsent(request, client, user, force, deps)).length) return { kind: 'consent', transactionId };
  // Resumed once: the transaction is consumed atomically before the code is issued.
  if (!(await deps.stores.loginTransactions.consume(transactionId))) throw expired();
  return { kind: 'respond', response: await respond(request, client, session!, user, deps) };
}

/** The consent page's Decline: the transaction ends and the client hears access_denied (with state). */
export async function declineConsent(transactionId: string, deps: InteractionDeps): Promise<AuthorizationResponse> {
  const transaction = await deps.stores.loginTransactions.consume(transactionId);
  if (!transaction) throw expired();
  const { request } = transaction.request as InteractionState;
  const client = await deps.stores.clients.get(request.client_id);
  if (!client) throw expired();
  return errorResponse(
    targetOf(request, client),
    new OAuthError('access_denied', 'User did not authorize the request'),
    deps.issuer,
  );
}
