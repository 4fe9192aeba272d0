// GET /passwordless/verify_redirect: the magic link of a passwordless e-mail (Auth0 docs: "Passwordless
// Authentication with Magic Links"). Opening it redeems the code (the same rules as a typed code), signs the
// user in with an SSO session in this browser, and completes the /authorize request stored with the code,
// ending at the client's callback as a password login does. A link started by a backend call completes once,
// in any browser; a code bound to a browser (binding) completes only where the binding cookie is.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/events.js';
import { randomSecret } from '../crypto/random.js';
import { sendDecision } from '../login/authorization-response.js';
import { type PageDeps, sendErrorPage } from '../login/pages.js';
import { PASSWORDLESS_BINDING_COOKIE } from '../login/passwordless.js';
import { startBrowserSession } from '../login/session-cookie.js';
import { authorize, type InteractionDeps } from '../protocol/authorize/interaction.js';
import { isBrowserId, transactionOwners } from '../protocol/authorize/pending-logins.js';
import { AuthorizeError, type RawParams } from '../protocol/authorize/request.js';
import {
  bindingOf,
  enabledPasswordlessConnection,
  identifierOf,
  PasswordlessCodeError,
  redeemCode,
  signInWithCode,
} from '../protocol/passwordless.js';
import type { Store } from '../store/types.js';
import { BROWSER_COOKIE } from './authorize.js';

const INVALID_LINK = 'This sign-in link is invalid. Return to the application and sign in again.';

export interface PasswordlessLinkDeps extends PageDeps {
  store: Store;
  interaction: InteractionDeps;
  passwordlessKey: Buffer;
  audit: AuditLog;
  secureCookies: boolean;
  now: () => number;
}

/** Parameters the link cannot set: the link is the sign-in, for the connection and client of its code. */
const fixedParams = ['client_id', 'connection', 'realm', 'prompt', 'login_ticket'];

export function passwordlessLinkRoutes(app: FastifyInstance, deps: PasswordlessLinkDeps) {
  const { store } = deps;
  const fail = (reply: FastifyReply, description: string) =>
    sendErrorPage(reply.header('cache-control', 'no-store'), deps, 400, description, 'Invalid link');

  app.get('/passwordless/verify_redirect', async (request: FastifyRequest, reply) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const [code, clientId, connectionName] = [text('verification_code'), text('client_id'), text('connection')];
    const client = clientId && clientId.length <= 128 ? await store.clients.get(clientId) : undefined;
    const connection =
      client &&
      connectionName &&
      enabledPasswordlessConnection(await store.connections.getByName(connectionName), client, 'email');
    const identifier = identifierOf('email', text('email'));
    if (!client || !connection || !identifier || !code || code.length > 32) return fail(reply, INVALID_LINK);

    const at = deps.now();
    const record = (type: 's' | 'f', extra: { user_id?: string; description?: string } = {}) =>
      deps.audit.record({
        type,
        ip: request.ip,
        user_agent: request.headers['user-agent'],
        client_id: client.client_id,
        client_name: client.name,
        connection: connection.name,
        strategy: connection.strategy,
        user_name: identifier,
        ...extra,
      });
    const bindingCookie = request.cookies[PASSWORDLESS_BINDING_COOKIE];
    let signedIn: Awaited<ReturnType<typeof signInWithCode>>;
    let authParams: Record<string, string>;
    try {
      const redeemed = await redeemCode(store, deps.passwordlessKey, {
        connection,
        identifier,
        code,
        client_id: client.client_id,
        binding: bindingCookie ? bindingOf(deps.passwordlessKey, bindingCookie) : undefined,
        at,
      });
      authParams = redeemed.auth_params ?? {};
      signedIn = await signInWithCode(store, connection, identifier, at);
    } catch (error) {
      if (!(error instanceof PasswordlessCodeError)) throw error;
      record('f', { description: error.description });
      return fail(reply, error.description);
    }
    const { user } = signedIn;
    if (user.blocked) {
      record('f', { user_id: user.user_id, description: 'user is blocked' });
      return fail(reply, 'This account is blocked.');
    }
    record('s', { user_id: user.user_id });
    const session = await startBrowserSession(request, reply, deps, user.user_id);

    // The /authorize request the link was sent for: Auth0's defaults (code flow to the first callback, openid)
    // for what authParams left out.
    const raw: RawParams = { response_type: 'code', scope: 'openid', redirect_uri: client.callbacks[0] };
    for (const [name, value] of Object.entries(authParams)) if (!fixedParams.includes(name)) raw[name] = value;
    raw.client_id = client.client_id;
    raw.connection = connection.name;
    const cookie = request.cookies[BROWSER_COOKIE];
    const owners = transactionOwners(request.ip, isBrowserId(cookie) ? cookie : randomSecret());
    try {
      const decision = await authorize(raw, session, owners, deps.interaction);
      return sendDecision(reply, decision, false);
    } catch (error) {
      if (error instanceof AuthorizeError) return fail(reply, error.error.description);
      throw error;
    }
  });
}
