// The /authorize state machine. The protocol never renders HTML and the login pages never issue codes:
//
//   /authorize ──client or redirect_uri wrong──> error page (400), nothing redirected
//       │ ok
//       ├── other error ─────────────────────────> error to redirect_uri (response mode, state, iss)
//       ├── live session, no prompt=login, max_age ok ──> code ──> response mode
//       ├── prompt=none ─────────────────────────> login_required to redirect_uri
//       └── else: store a login transaction ──> /u/login?state=<tx>
//   /u/login (login/) checks the password, starts the session ──> /authorize/resume?state=<tx>
//   /authorize/resume: consume the transaction (once) ──> session signed in after it began? ──> code
import { randomSecret, sha256 } from '../../crypto/random.js';
import type { Session, Store, User } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { type AuthorizationResponse, responseModes } from '../response-modes/index.js';
import { type AuthorizeDeps, AuthorizeError, type AuthorizeRequest, parseAuthorizeRequest, type RawParams, type RedirectTarget } from './request.js';

/** RFC 6749 §4.1.2: codes are short-lived; SPEC: 60 seconds. */
export const CODE_LIFETIME_MS = 60_000;
/** How long a person has to complete the login page. */
export const TRANSACTION_LIFETIME_MS = 30 * 60_000;

export type Decision = { kind: 'respond'; response: AuthorizationResponse } | { kind: 'login'; transactionId: string };

export interface InteractionDeps extends AuthorizeDeps {
  stores: AuthorizeDeps['stores'] & Pick<Store, 'codes' | 'users' | 'loginTransactions'>;
  issuer: string;
  now: () => number;
}

/** Sends an error back to the client (RFC 6749 §4.1.2.1, RFC 9207 iss). */
export function errorResponse(target: RedirectTarget, error: OAuthError, issuer: string): Promise<AuthorizationResponse> {
  return responseModes[target.response_mode](target.redirect_uri, {
    error: error.code,
    error_description: error.description,
    state: target.state,
    iss: issuer,
  });
}

async function issueCode(request: AuthorizeRequest, session: Session, deps: InteractionDeps): Promise<AuthorizationResponse> {
  const code = randomSecret();
  const now = deps.now();
  await deps.stores.codes.insert({
    code_hash: sha256(code),
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
  });
  return responseModes[request.response_mode](request.redirect_uri, { code, state: request.state, iss: deps.issuer });
}

/** A session can sign this request in silently when its user may use the request's connection. */
async function sessionUser(request: AuthorizeRequest, session: Session | undefined, deps: InteractionDeps): Promise<User | undefined> {
  if (!session) return undefined;
  const user = await deps.stores.users.get(session.user_id);
  if (!user || user.blocked || user.connection !== request.connection) return undefined;
  return user;
}

function targetOf(request: AuthorizeRequest): RedirectTarget {
  return { redirect_uri: request.redirect_uri, response_mode: request.response_mode, state: request.state };
}

/** Throws AuthorizeError without a target when the browser must see an error page. */
export async function authorize(raw: RawParams, session: Session | undefined, deps: InteractionDeps): Promise<Decision> {
  let request: AuthorizeRequest;
  try {
    ({ request } = await parseAuthorizeRequest(raw, deps));
  } catch (error) {
    if (error instanceof AuthorizeError && error.target) {
      return { kind: 'respond', response: await errorResponse(error.target, error.error, deps.issuer) };
    }
    throw error;
  }
  const now = deps.now();
  const fresh = request.max_age === undefined || (session !== undefined && now - session.authenticated_at <= request.max_age * 1000);
  if (session && !request.prompt.includes('login') && fresh && (await sessionUser(request, session, deps))) {
    return { kind: 'respond', response: await issueCode(request, session, deps) };
  }
  if (request.prompt.includes('none')) {
    // OIDC Core §3.1.2.6: no interaction allowed, and it would be needed.
    const error = new OAuthError('login_required', session ? 'Login required: the session does not satisfy the request' : 'Login required');
    return { kind: 'respond', response: await errorResponse(targetOf(request), error, deps.issuer) };
  }
  const transactionId = randomSecret(24);
  await deps.stores.loginTransactions.create({
    id: transactionId,
    client_id: request.client_id,
    request,
    created_at: now,
    expires_at: now + TRANSACTION_LIFETIME_MS,
  });
  return { kind: 'login', transactionId };
}

/** /authorize/resume: finishes a transaction once its login page has signed the browser in. */
export async function resumeAuthorization(transactionId: string, session: Session | undefined, deps: InteractionDeps): Promise<AuthorizationResponse> {
  const transaction = await deps.stores.loginTransactions.consume(transactionId);
  if (!transaction) {
    throw new AuthorizeError(new OAuthError('invalid_request', 'This sign-in has expired or was already completed. Return to the application and sign in again.'));
  }
  const request = transaction.request as AuthorizeRequest;
  if (!session || session.authenticated_at < transaction.created_at || !(await sessionUser(request, session, deps))) {
    return errorResponse(targetOf(request), new OAuthError('access_denied', 'The sign-in was not completed'), deps.issuer);
  }
  return issueCode(request, session, deps);
}
