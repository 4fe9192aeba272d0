// POST /passwordless/start (Auth0 Authentication API: "Get Code or Link", /docs/api/authentication#get-code-or-link):
// JSON or form body; sends a one-time code by e-mail or text message, or an e-mail with a magic link, through
// deps.messages. Errors are Auth0's `{error, error_description}`; nothing is sent on any error. auth0.js calls it
// from the browser (passwordlessStart): CORS for the client's web origins.
import { randomBytes } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent } from '../audit/events.js';
import { authenticateClient, type ClientAuthDeps } from '../protocol/client-auth.js';
import { endpoints } from '../config.js';
import { CredentialCache } from '../protocol/credential-cache.js';
import { OAuthError } from '../protocol/errors.js';
import { endUserIp } from '../protocol/forwarded-for.js';
import {
  enabledPasswordlessConnection,
  findPasswordlessUser,
  identifierOf,
  issueCode,
  SIGNUP_DISABLED_DESCRIPTION,
  signupDisabled,
} from '../protocol/passwordless.js';
import { sendPasswordlessMessage, TOO_MANY_REQUESTS, takeSendAllowance } from '../protocol/passwordless-send.js';
import type { Client, Connection } from '../store/types.js';
import { AUTH0_JS_PREFLIGHT, allowClientOrigin, preflightRoute } from './client-cors.js';
import { RETRY_AFTER_SECONDS } from './storage-health.js';
import type { SurfaceDeps } from './surface.js';

type PasswordlessDeps = Pick<
  SurfaceDeps,
  'config' | 'store' | 'box' | 'passwordlessKey' | 'messages' | 'storage' | 'audit' | 'now'
>;

const MAX_AUTH_PARAMS = 30;

interface StartBody {
  client_id?: unknown;
  client_secret?: unknown;
  client_assertion?: unknown;
  client_assertion_type?: unknown;
  connection?: unknown;
  email?: unknown;
  phone_number?: unknown;
  send?: unknown;
  authParams?: unknown;
}

class StartError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

function sendError(reply: FastifyReply, error: StartError) {
  return reply
    .code(error.status)
    .headers({ 'cache-control': 'no-store', ...error.headers })
    .send({ error: error.code, error_description: error.description });
}

/** authParams: an object of /authorize parameters with string values (Auth0 adds them to the magic link). */
function authParamsOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const bad = () => new StartError(400, 'bad.authParams', 'authParams must be an object of strings');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const entries = Object.entries(value);
  if (entries.length > MAX_AUTH_PARAMS) throw bad();
  for (const [name, v] of entries) {
    if (typeof v !== 'string' || v.length > 2048 || name.length > 64) throw bad();
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

const asString = (value: unknown) => (typeof value === 'string' && value.length <= 2048 ? value : undefined);

export function passwordlessSurface(deps: PasswordlessDeps): FastifyPluginAsync {
  return (app) => passwordlessRoutes(app, deps);
}

async function passwordlessRoutes(app: FastifyInstance, deps: PasswordlessDeps) {
  const { store, config } = deps;
  const clientAuth: ClientAuthDeps = {
    stores: store,
    credentials: new CredentialCache(deps.box),
    issuer: config.issuer,
    tokenEndpoint: endpoints(config.issuer).token,
    adminClientId: config.adminClientId,
    now: deps.now,
  };
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, new StartError(413, 'bad.request', 'Request body is too large'));
    if (error.statusCode !== undefined && error.statusCode < 500)
      return sendError(reply, new StartError(400, 'bad.request', 'The request body could not be read'));
    if (deps.storage.report(error, request.log)) {
      const retry = { 'retry-after': String(RETRY_AFTER_SECONDS) };
      return sendError(
        reply,
        new StartError(
          503,
          'temporarily_unavailable',
          'The service is temporarily unavailable. Try again later.',
          retry,
        ),
      );
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(reply, new StartError(500, 'server_error', 'An unexpected error occurred'));
  });

  preflightRoute(app, '/passwordless/start', store.clients, AUTH0_JS_PREFLIGHT);

  app.post('/passwordless/start', async (request: FastifyRequest<{ Body: StartBody }>, reply) => {
    try {
      return await start(request, reply);
    } catch (error) {
      if (error instanceof StartError) return sendError(reply, error);
      throw error;
    }
  });

  async function start(request: FastifyRequest<{ Body: StartBody }>, reply: FastifyReply) {
    const body: StartBody = typeof request.body === 'object' && request.body !== null ? request.body : {};
    const clientId = asString(body.client_id);
    if (!clientId) throw new StartError(400, 'bad.client_id', 'Missing required parameter: client_id');
    const known = await store.clients.get(clientId);
    if (!known) throw new StartError(400, 'bad.client_id', `Unknown client: ${clientId}`);
    allowClientOrigin(request, reply, known, { credentials: false });
    // Auth0: a confidential client authenticates here as at /oauth/token (a public one names itself only).
    const { client, method } = await authenticated(request, body);
    const ip = forwardedIp(request, client, method);

    const connectionName = asString(body.connection);
    const connection = enabledPasswordlessConnection(
      connectionName ? await store.connections.getByName(connectionName) : undefined,
      client,
    );
    if (!connection)
      throw new StartError(400, 'bad.connection', 'Connection does not exist or is not enabled for this application');
    const sms = connection.strategy === 'sms';
    const identifier = identifierOf(connection.strategy, asString(sms ? body.phone_number : body.email));
    if (!identifier && sms)
      throw new StartError(400, 'bad.phone_number', 'The phone number must be in E.164 format, e.g. +14155550100');
    if (!identifier) throw new StartError(400, 'bad.email', 'The email address is missing or invalid');
    const send = body.send ?? 'link';
    if (send !== 'link' && send !== 'code') throw new StartError(400, 'bad.request', 'send must be "link" or "code"');
    const authParams = authParamsOf(body.authParams);
    const link = !sms && send === 'link';

    const at = deps.now();
    const record = (event: Omit<AuditEvent, 'ip'>) =>
      deps.audit.record({
        ip,
        user_agent: request.headers['user-agent'],
        client_id: client.client_id,
        client_name: client.name,
        connection: connection.name,
        strategy: connection.strategy,
        user_name: identifier,
        ...event,
      });
    // Auth0's limits, counted per IP and per address in one statement each, before anything is sent.
    if (!(await takeSendAllowance(store.ipThrottles, connection, identifier, ip, at))) {
      record({ type: 'limit_mu', description: TOO_MANY_REQUESTS });
      throw new StartError(429, 'too_many_requests', TOO_MANY_REQUESTS);
    }
    // Auth0 options.disable_signup: only existing users get a code (this tells which addresses have accounts,
    // as Auth0 warns in "Passwordless Connections Best Practices").
    if (signupDisabled(connection) && !(await findPasswordlessUser(store.users, connection, identifier)))
      throw new StartError(400, 'bad.user', SIGNUP_DISABLED_DESCRIPTION);

    const { code } = await issueCode(store, deps.passwordlessKey, {
      connection,
      identifier,
      client_id: client.client_id,
      auth_params: link ? authParams : undefined,
      at,
    });
    await sendPasswordlessMessage(deps.messages, {
      connection,
      client,
      identifier,
      code,
      link: link ? magicLink(config.issuer, client, connection, identifier, code, authParams) : undefined,
    });
    // Auth0 logs cs for a code and cls for a link.
    record({ type: link ? 'cls' : 'cs' });
    const _id = randomBytes(12).toString('hex');
    return reply
      .header('cache-control', 'no-store')
      .send(sms ? { _id, phone_number: identifier } : { _id, email: identifier });
  }

  async function authenticated(request: FastifyRequest, body: StartBody) {
    const params = {
      client_id: asString(body.client_id),
      client_secret: asString(body.client_secret),
      client_assertion: asString(body.client_assertion),
      client_assertion_type: asString(body.client_assertion_type),
    };
    try {
      return await authenticateClient(request.headers.authorization, params, clientAuth);
    } catch (error) {
      if (error instanceof OAuthError) throw new StartError(401, 'invalid_client', 'Client authentication failed');
      throw error;
    }
  }

  function forwardedIp(request: FastifyRequest, client: Client, method: Parameters<typeof endUserIp>[3]) {
    try {
      return endUserIp(request.ip, request.headers['auth0-forwarded-for'], client, method);
    } catch (error) {
      if (error instanceof OAuthError) throw new StartError(400, 'bad.request', error.description);
      throw error;
    }
  }
}

/**
 * Auth0's magic link: <issuer>passwordless/verify_redirect with the authParams, the code as verification_code,
 * the connection, client_id and email. Only the code, address, connection and client are read back; the
 * /authorize parameters completed are those stored with the code, so a link edited in transit cannot change them.
 */
function magicLink(
  issuer: string,
  client: Client,
  connection: Connection,
  email: string,
  code: string,
  authParams: Record<string, string>,
): string {
  const url = new URL('passwordless/verify_redirect', issuer);
  for (const [name, value] of Object.entries(authParams)) url.searchParams.set(name, value);
  url.searchParams.set('verification_code', code);
  url.searchParams.set('connection', connection.name);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('email', email);
  return url.toString();
}
