// The test API (GATEHOUSE_MODE=test only; docs/testing-your-app.md): what an end-to-end suite needs and a real
// tenant must never offer. Registered only in test mode, so that elsewhere /test/* is an ordinary 404; and
// even in test mode it answers only connections from this machine (the loopback addresses), whatever a
// proxy's headers say, because a session for any user without a password is the keys to every account.
//
//   POST   /test/reset     the tenant as it was when the server started, in one transaction; caches dropped
//   GET    /test/outbox    every e-mail and text message since the start or the last DELETE, with link and code
//   DELETE /test/outbox
//   GET    /test/clock     the clock's offset and the time Gatehouse reads
//   POST   /test/clock     {"seconds": N} moves that time N seconds forward
//   POST   /test/session   {"user_id", "client_id"} a signed-in browser session: the cookie to set
//   POST   /test/users     {"email", "password", "connection"?, …} a user, created at once
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Clock } from '../clock.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../login/session-cookie.js';
import { OAuthError } from '../protocol/errors.js';
import { createSession } from '../protocol/session.js';
import type { User } from '../store/types.js';
import { userView } from './management/user-view.js';
import { oauthErrorHandler } from './oauth/errors.js';
import type { SurfaceDeps } from './surface.js';

export interface TestApiDeps extends Pick<SurfaceDeps, 'config' | 'store' | 'passwords' | 'storage'> {
  clock: Clock;
  /** Puts the tenant back as it was at the start and drops every cache (app.ts). */
  reset(): Promise<void>;
}

/** Ten years: far past any lifetime Gatehouse knows, and far from the end of JavaScript's dates. */
const MAX_STEP_SECONDS = 10 * 365 * 24 * 3600;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.0.0.1), which a dual-stack listener reports. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

const invalid = (description: string) => new OAuthError('invalid_request', description);

function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('The body must be a JSON object');
  return value as Record<string, unknown>;
}

function stringField(fields: Record<string, unknown>, name: string, required: true): string;
function stringField(fields: Record<string, unknown>, name: string, required: false): string | undefined;
function stringField(fields: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = fields[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !value) throw invalid(`${name} must be a non-empty string`);
  return value;
}

export function testApiSurface(deps: TestApiDeps) {
  const { store, clock } = deps;
  const clockState = () => ({
    offset_seconds: clock.offsetMs() / 1000,
    now: new Date(clock.now()).toISOString(),
    now_ms: clock.now(),
  });
  const secure = deps.config.issuer.startsWith('https:');

  return async (app: FastifyInstance) => {
    await app.register(cookie);
    app.setErrorHandler(oauthErrorHandler(deps.storage));
    // The socket's own address: a proxy's X-Forwarded-For is never read here (trustProxy is off, server.ts).
    app.addHook('onRequest', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!isLoopback(request.socket.remoteAddress))
        throw new OAuthError('access_denied', 'The test API answers only requests from this machine');
    });

    app.post('/test/reset', async () => {
      await deps.reset();
      return { reset: true };
    });

    app.get('/test/outbox', async (request) => {
      const { to } = request.query as { to?: unknown };
      const messages = await store.testOutbox.list();
      return { messages: typeof to === 'string' ? messages.filter((m) => m.to === to) : messages };
    });
    app.delete('/test/outbox', async () => {
      await store.testOutbox.clear();
      return { deleted: true };
    });

    app.get('/test/clock', async () => clockState());
    app.post('/test/clock', async (request) => {
      const { seconds } = body(request);
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_STEP_SECONDS)
        throw invalid(`seconds must be a whole number from 0 to ${MAX_STEP_SECONDS} (the clock only moves forward)`);
      clock.advance(seconds * 1000);
      return clockState();
    });

    app.post('/test/session', async (request, reply: FastifyReply) => {
      const fields = body(request);
      const userId = stringField(fields, 'user_id', true);
      const clientId = stringField(fields, 'client_id', true);
      const [user, client] = await Promise.all([store.users.get(userId), store.clients.get(clientId)]);
      if (!user) throw invalid(`No user ${userId}`);
      if (user.blocked) throw invalid(`The user ${userId} is blocked`);
      if (!client) throw invalid(`No client ${clientId}`);
      const { cookieValue, session } = await createSession(
        store.sessions,
        userId,
        await store.tenant.get(),
        clock.now(),
      );
      const options = sessionCookieOptions(secure);
      // Set here as well: a browser test's own request context (Playwright's page.request) keeps it at once.
      reply.setCookie(SESSION_COOKIE, cookieValue, options);
      const attributes = [`Path=${options.path}`, 'HttpOnly', ...(options.secure ? ['Secure'] : [])];
      return {
        cookie: {
          name: SESSION_COOKIE,
          value: cookieValue,
          domain: new URL(deps.config.issuer).hostname,
          path: options.path,
          httpOnly: true,
          secure: options.secure,
          sameSite: options.sameSite === 'none' ? 'None' : 'Lax',
        },
        set_cookie: [
          `${SESSION_COOKIE}=${cookieValue}`,
          ...attributes,
          `SameSite=${options.sameSite === 'none' ? 'None' : 'Lax'}`,
        ].join('; '),
        sid: session.sid,
        user_id: userId,
        client_id: clientId,
        expires_at: new Date(session.expires_at).toISOString(),
      };
    });

    app.post('/test/users', async (request, reply: FastifyReply) => {
      const fields = body(request);
      const email = stringField(fields, 'email', true).trim().toLowerCase();
      if (!EMAIL.test(email)) throw invalid('email is not an e-mail address');
      const password = stringField(fields, 'password', true);
      const connections = (await store.connections.list()).filter((c) => c.strategy === 'auth0');
      const name = stringField(fields, 'connection', false);
      const connection = name
        ? connections.find((c) => c.name === name)
        : (connections.find((c) => c.name === 'Username-Password-Authentication') ?? connections[0]);
      if (!connection) throw invalid(name ? `No database connection ${name}` : 'The tenant has no database connection');
      if (await store.users.findByEmail(connection.name, email)) throw invalid('The user already exists');
      const verified = fields.email_verified;
      if (verified !== undefined && typeof verified !== 'boolean')
        throw invalid('email_verified must be true or false');
      const optional = (key: string) => stringField(fields, key, false) ?? null;
      const now = clock.now();
      const user: User = {
        user_id: `auth0|${randomBytes(12).toString('hex')}`,
        connection: connection.name,
        email,
        email_verified: verified ?? true,
        username: optional('username'),
        phone_number: null,
        phone_verified: false,
        name: optional('name'),
        given_name: optional('given_name'),
        family_name: optional('family_name'),
        nickname: optional('nickname'),
        picture: null,
        // Test mode's argon2id cost (crypto/passwords.ts), so that this answers in milliseconds.
        password_hash: await deps.passwords.hash(password),
        user_metadata: {},
        app_metadata: {},
        blocked: false,
        created_at: now,
        updated_at: now,
      };
      await store.users.insert(user);
      const stored = await store.users.get(user.user_id);
      return reply.code(201).send(stored ? userView(stored) : { user_id: user.user_id });
    });
  };
}
