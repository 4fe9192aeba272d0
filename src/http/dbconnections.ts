// POST /dbconnections/signup (Auth0 Authentication API: "Signup", /docs/api/authentication#signup): JSON or form body;
// errors in Auth0's older shape with the OAuth pair added, so both kinds of client read them (docs/sign-in.md).
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AuditEvent } from '../audit/events.js';
import { takeAttempt, THROTTLED_DESCRIPTION } from '../protocol/ip-throttle.js';
import { describePolicy } from '../protocol/password-policy.js';
import { SignupError, signUp } from '../protocol/signup.js';
import { requestPasswordReset, sendSignupVerification } from '../protocol/user-tickets.js';
import { AUTH0_JS_PREFLIGHT, allowClientOrigin, preflightRoute } from './client-cors.js';
import { RETRY_AFTER_SECONDS } from './storage-health.js';
import type { SurfaceDeps } from './surface.js';

type ErrorCode = SignupError['code'] | 'bad.client_id' | 'too_many_attempts' | 'temporarily_unavailable' | 'not_found';

const errorNames: Record<number, string> = {
  404: 'NotFoundError',
  429: 'TooManyRequestsError',
  503: 'ServiceUnavailableError',
};

export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  description: string,
  extra: Record<string, unknown> = {},
  status = 400,
) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({
      name: code === 'invalid_password' ? 'PasswordStrengthError' : (errorNames[status] ?? 'BadRequestError'),
      code,
      description,
      statusCode: status,
      error: code,
      error_description: description,
      ...extra,
    });
}

const profileFields = ['username', 'given_name', 'family_name', 'name', 'nickname', 'picture'] as const;

const bodySchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string', maxLength: 128 },
    email: { type: 'string', maxLength: 320 },
    password: { type: 'string', maxLength: 1024 },
    connection: { type: 'string', maxLength: 128 },
    ...Object.fromEntries(profileFields.map((f) => [f, { type: 'string', maxLength: 1024 }])),
    user_metadata: { type: 'object', maxProperties: 20 },
  },
} as const;

type SignupBody = Partial<
  Record<'client_id' | 'email' | 'password' | 'connection' | (typeof profileFields)[number], string>
> & {
  user_metadata?: Record<string, unknown>;
};

type DbconnectionsDeps = Pick<SurfaceDeps, 'store' | 'passwords' | 'storage' | 'audit' | 'now' | 'messages' | 'config'>;

/**
 * The /dbconnections paths auth0.js calls from the browser (webAuth.signup, webAuth.changePassword): CORS for
 * the client's origins.
 */
const browserPaths = ['/dbconnections/signup', '/dbconnections/change_password'];

/** Auth0's answer to a change_password request, whether or not the address has an account. */
export const CHANGE_PASSWORD_ANSWER = "We've just sent you an email to reset your password.";

const changePasswordSchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string', maxLength: 128 },
    email: { type: 'string', maxLength: 320 },
    connection: { type: 'string', maxLength: 128 },
  },
} as const;

/** The /dbconnections surface: form or JSON bodies, every error in the shape sendError gives. */
export function dbconnectionsSurface(deps: DbconnectionsDeps): FastifyPluginAsync {
  return (app) => dbconnectionsRoutes(app, deps);
}

async function dbconnectionsRoutes(app: FastifyInstance, deps: DbconnectionsDeps) {
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation)
      return sendError(
        reply,
        'bad.request',
        `Invalid parameter: ${error.validation[0].instancePath.slice(1) || 'body'}`,
      );
    // docs/operations.md "Request bodies": a body over 64 KiB is refused with 413 before it is parsed.
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendError(reply, 'bad.request', 'Request body is too large', {}, 413);
    if (error.statusCode !== undefined && error.statusCode < 500)
      return sendError(reply, 'bad.request', 'The request body could not be read');
    if (deps.storage.report(error, request.log)) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendError(
        reply,
        'temporarily_unavailable',
        'The service is temporarily unavailable. Try again later.',
        {},
        503,
      );
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({
      name: 'Error',
      code: 'server_error',
      description: 'An unexpected error occurred',
      statusCode: 500,
      error: 'server_error',
      error_description: 'An unexpected error occurred',
    });
  });

  for (const path of browserPaths) preflightRoute(app, path, deps.store.clients, AUTH0_JS_PREFLIGHT);
  const mail = { store: deps.store, messages: deps.messages, issuer: deps.config.issuer, now: deps.now };

  // Auth0 Authentication API, "Change Password": one answer whether or not the user exists, so the endpoint
  // cannot be used to find out which addresses have accounts; the e-mail is queued, never awaited.
  app.post<{ Body: { client_id?: string; email?: string; connection?: string } }>(
    '/dbconnections/change_password',
    { schema: { body: changePasswordSchema } },
    async (request, reply) => {
      const body = request.body ?? {};
      for (const name of ['client_id', 'email', 'connection'] as const) {
        if (!body[name]) return sendError(reply, 'bad.request', `Missing required parameter: ${name}`);
      }
      const client = await deps.store.clients.get(body.client_id!);
      if (!client) return sendError(reply, 'bad.client_id', `Unknown client: ${body.client_id}`);
      allowClientOrigin(request, reply, client, { credentials: false });
      const connection = await deps.store.connections.getByName(body.connection!);
      if (connection?.strategy !== 'auth0' || !connection.enabled_clients.includes(client.client_id))
        return sendError(
          reply,
          'bad.connection',
          `The connection "${body.connection}" is not a database connection enabled for this application`,
        );
      const event = {
        ip: request.ip,
        user_agent: request.headers['user-agent'],
        client_id: client.client_id,
        client_name: client.name,
        connection: connection.name,
        user_name: body.email!.slice(0, 320),
        strategy: 'auth0',
      };
      if (!(await takeAttempt(deps.store.ipThrottles, 'change_password', request.ip, deps.now()))) {
        deps.audit.record({ ...event, type: 'limit_mu', description: THROTTLED_DESCRIPTION });
        return sendError(reply, 'too_many_attempts', THROTTLED_DESCRIPTION, {}, 429);
      }
      const user = await requestPasswordReset(mail, { client, connection, email: body.email! });
      // Auth0 logs scpr for a reset e-mail sent, fcpr when no user has the address (seen only in the audit log).
      deps.audit.record({ ...event, type: user ? 'scpr' : 'fcpr', user_id: user?.user_id });
      return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(CHANGE_PASSWORD_ANSWER);
    },
  );

  app.post<{ Body: SignupBody }>('/dbconnections/signup', { schema: { body: bodySchema } }, async (request, reply) => {
    const body = request.body ?? {};
    for (const name of ['client_id', 'email', 'password', 'connection'] as const) {
      if (!body[name]) return sendError(reply, 'bad.request', `Missing required parameter: ${name}`);
    }
    const client = await deps.store.clients.get(body.client_id!);
    if (!client) return sendError(reply, 'bad.client_id', `Unknown client: ${body.client_id}`);
    allowClientOrigin(request, reply, client, { credentials: false });
    // Auth0 logs ss / fs, and limit_mu when the IP has used up its sign-ups ("Blocked IP Address").
    const record = (event: AuditEvent) =>
      deps.audit.record({
        ip: request.ip,
        user_agent: request.headers['user-agent'],
        client_id: client.client_id,
        client_name: client.name,
        connection: body.connection,
        user_name: body.email!.slice(0, 320),
        strategy: 'auth0',
        ...event,
      });
    if (!(await takeAttempt(deps.store.ipThrottles, 'signup', request.ip, deps.now()))) {
      record({ type: 'limit_mu', description: THROTTLED_DESCRIPTION });
      return sendError(reply, 'too_many_attempts', THROTTLED_DESCRIPTION, {}, 429);
    }
    try {
      const user = await signUp(
        client,
        { ...body, email: body.email!, password: body.password!, connection: body.connection! },
        deps.store,
        deps.passwords,
        deps.now(),
      );
      record({ type: 'ss', user_id: user.user_id });
      await sendSignupVerification(mail, user, client);
      const profile = Object.fromEntries(profileFields.filter((f) => user[f] !== null).map((f) => [f, user[f]]));
      return reply.header('cache-control', 'no-store').send({
        _id: user.user_id.slice('auth0|'.length),
        email: user.email,
        email_verified: false,
        ...profile,
        ...(Object.keys(user.user_metadata).length ? { user_metadata: user.user_metadata } : {}),
      });
    } catch (error) {
      if (!(error instanceof SignupError)) throw error;
      record({ type: 'fs', description: error.description, details: { error: error.code } });
      const connection =
        error.code === 'invalid_password' ? await deps.store.connections.getByName(body.connection!) : undefined;
      return sendError(
        reply,
        error.code,
        error.description,
        connection ? { policy: describePolicy(connection.options) } : {},
      );
    }
  });
}
