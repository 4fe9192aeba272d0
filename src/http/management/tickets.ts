// /api/v2/tickets and /api/v2/jobs/verification-email (Auth0 Management API v2, "Tickets" and "Jobs"): links
// an administrator hands a user (a password change, an e-mail verification), and the verification e-mail sent
// on request. The links are the ones the e-mails carry (protocol/user-tickets.ts); organizations and secondary
// identities are accepted and have no effect (docs/management-api.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/events.js';
import { randomId } from '../../crypto/random.js';
import type { Messages } from '../../delivery/messages.js';
import { createTicket, sendVerificationEmail } from '../../protocol/user-tickets.js';
import type { Store, User } from '../../store/types.js';
import { ManagementError, notFound } from './errors.js';
import { answers } from './schemas/common.js';
import { job, ticket as ticketAnswer } from './schemas/tenant.js';

export interface TicketRouteDeps {
  store: Store;
  messages: Messages;
  audit: AuditLog;
  issuer: string;
  now: () => number;
}

const id = { type: 'string', minLength: 1, maxLength: 256 } as const;
const url = { type: 'string', minLength: 1, maxLength: 2048 } as const;
// Auth0: a lifetime in seconds, 0 or absent for the default of five days.
const ttl = { type: 'integer', minimum: 0, maximum: 2147483647 } as const;
const identity = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id', 'provider'],
  properties: { user_id: id, provider: id, connection_id: id },
} as const;

const passwordChangeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    result_url: url,
    user_id: id,
    client_id: id,
    organization_id: id,
    connection_id: id,
    email: { type: 'string', minLength: 1, maxLength: 320 },
    ttl_sec: ttl,
    mark_email_as_verified: { type: 'boolean' },
    includeEmailInRedirect: { type: 'boolean' },
    identity,
  },
} as const;

const emailVerificationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id'],
  properties: {
    result_url: url,
    user_id: id,
    client_id: id,
    organization_id: id,
    ttl_sec: ttl,
    includeEmailInRedirect: { type: 'boolean' },
    identity,
  },
} as const;

const verificationEmailBody = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id'],
  properties: { user_id: id, client_id: id, organization_id: id, identity },
} as const;

interface PasswordChangeBody {
  result_url?: string;
  user_id?: string;
  client_id?: string;
  connection_id?: string;
  email?: string;
  ttl_sec?: number;
  mark_email_as_verified?: boolean;
  includeEmailInRedirect?: boolean;
}

type Body<T> = FastifyRequest<{ Body: T }>;

export function ticketRoutes(app: FastifyInstance, deps: TicketRouteDeps) {
  const { store } = deps;

  const clientOf = async (clientId: string | undefined) => {
    if (clientId === undefined) return undefined;
    const client = await store.clients.get(clientId);
    if (!client) throw notFound('client', 'inexistent_client');
    return client;
  };

  const userOf = async (userId: string) => {
    const user = await store.users.get(userId);
    if (!user) throw notFound('user', 'inexistent_user');
    return user;
  };

  /** The user a password-change ticket is for: by user_id, or by email in the connection connection_id. */
  async function passwordUser(body: PasswordChangeBody): Promise<User> {
    if (body.user_id !== undefined) {
      if (body.email !== undefined || body.connection_id !== undefined)
        throw new ManagementError(
          400,
          'user_id cannot be specified together with email or connection_id.',
          'invalid_body',
        );
      return userOf(body.user_id);
    }
    if (body.email === undefined || body.connection_id === undefined)
      throw new ManagementError(400, 'Either user_id, or email and connection_id, must be specified.', 'invalid_body');
    const connection = (await store.connections.list()).find((c) => c.id === body.connection_id);
    if (!connection) throw notFound('connection', 'inexistent_connection');
    const user = await store.users.findByEmail(connection.name, body.email.toLowerCase());
    if (!user) throw notFound('user', 'inexistent_user');
    return user;
  }

  app.post(
    '/tickets/password-change',
    {
      config: { scopes: ['create:user_tickets'] },
      schema: { body: passwordChangeBody, response: answers({ 201: ticketAnswer }) },
    },
    async (request: Body<PasswordChangeBody>, reply: FastifyReply) => {
      const body = request.body ?? {};
      const user = await passwordUser(body);
      if (!user.password_hash)
        throw new ManagementError(400, 'The user has no password to change (not a database user).', 'invalid_body');
      const client = await clientOf(body.client_id);
      const ticket = await createTicket(
        store,
        deps.issuer,
        {
          kind: 'password_change',
          user_id: user.user_id,
          client_id: client?.client_id,
          result_url: body.result_url,
          ttl_sec: body.ttl_sec,
          mark_email_verified: body.mark_email_as_verified,
          include_email: body.includeEmailInRedirect,
        },
        deps.now(),
      );
      return reply.code(201).header('cache-control', 'no-store').send({ ticket });
    },
  );

  app.post(
    '/tickets/email-verification',
    {
      config: { scopes: ['create:user_tickets'] },
      schema: { body: emailVerificationBody, response: answers({ 201: ticketAnswer }) },
    },
    async (
      request: Body<{
        user_id: string;
        result_url?: string;
        client_id?: string;
        ttl_sec?: number;
        includeEmailInRedirect?: boolean;
      }>,
      reply: FastifyReply,
    ) => {
      const body = request.body;
      const user = await userOf(body.user_id);
      if (!user.email) throw new ManagementError(400, 'The user does not have an email address.', 'invalid_body');
      const client = await clientOf(body.client_id);
      const ticket = await createTicket(
        store,
        deps.issuer,
        {
          kind: 'email_verification',
          user_id: user.user_id,
          client_id: client?.client_id,
          result_url: body.result_url,
          ttl_sec: body.ttl_sec,
          include_email: body.includeEmailInRedirect,
        },
        deps.now(),
      );
      return reply.code(201).header('cache-control', 'no-store').send({ ticket });
    },
  );

  app.post(
    '/jobs/verification-email',
    { config: { scopes: ['update:users'] }, schema: { body: verificationEmailBody, response: answers({ 201: job }) } },
    async (request: Body<{ user_id: string; client_id?: string }>, reply: FastifyReply) => {
      const user = await userOf(request.body.user_id);
      if (!user.email) throw new ManagementError(400, 'The user does not have an email address.', 'invalid_body');
      const client = await clientOf(request.body.client_id);
      await sendVerificationEmail({ store, messages: deps.messages, issuer: deps.issuer, now: deps.now }, user, client);
      deps.audit.record({
        type: 'svr',
        user_id: user.user_id,
        user_name: user.email,
        connection: user.connection,
        client_id: client?.client_id,
        ip: request.ip,
      });
      // The e-mail is queued when the answer is sent: the job is complete from the API's side (no job to poll).
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          type: 'verification_email',
          status: 'completed',
          created_at: new Date(deps.now()).toISOString(),
          id: randomId('job_'),
        });
    },
  );
}
