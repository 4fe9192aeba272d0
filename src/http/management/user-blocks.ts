// /api/v2/user-blocks (Auth0 Management API v2, "User Blocks"): the brute-force protection blocks of a user
// or of an identifier, listed and lifted. Gatehouse counts failed logins by the e-mail typed, per connection
// and IP (protocol/brute-force.ts); a block is a count at the limit, and lifting it forgets every count of the
// identifier, so the next login with the right password goes through. An administrator's block
// (`blocked: true` on the user) is not lifted here, as in Auth0.
import type { FastifyInstance } from 'fastify';
import { bruteForce, identifierOf } from '../../protocol/brute-force.js';
import type { LoginIdentifier, Store } from '../../store/types.js';
import { notFound } from './errors.js';
import { idParams } from './permissions.js';
import { answers, noBody } from './schemas/common.js';
import { userBlocks } from './schemas/users.js';

export interface UserBlockRouteDeps {
  store: Store;
  now: () => number;
}

const identifierQuery = {
  type: 'object',
  required: ['identifier'],
  properties: {
    identifier: { type: 'string', minLength: 1, maxLength: 512 },
    // Brute-force protection is always on in Gatehouse: the answer is the same either way.
    consider_brute_force_enablement: { type: 'boolean' },
  },
} as const;
const listQuery = { type: 'object', properties: { consider_brute_force_enablement: { type: 'boolean' } } } as const;

export function userBlockRoutes(app: FastifyInstance, { store, now }: UserBlockRouteDeps) {
  /** The user's login identifiers: the e-mail in its connection (nothing for a user without one). */
  async function ofUser(userId: string): Promise<LoginIdentifier> {
    const user = await store.users.get(userId);
    if (!user) throw notFound('user', 'inexistent_user');
    return { identifiers: user.email ? [identifierOf(user.email)] : [], connection: user.connection };
  }
  const ofIdentifier = (identifier: string): LoginIdentifier => ({ identifiers: [identifierOf(identifier)] });

  const list = async (who: LoginIdentifier) => ({
    blocked_for: (await store.loginFailures.blocked(who, now(), bruteForce)).map(({ identifier, ip, connection }) => ({
      identifier,
      ip,
      connection,
    })),
  });

  app.get<{ Querystring: { identifier: string } }>(
    '/user-blocks',
    {
      config: { scopes: ['read:users'] },
      schema: { querystring: identifierQuery, response: answers({ 200: userBlocks }) },
    },
    async (request) => list(ofIdentifier(request.query.identifier)),
  );

  app.delete<{ Querystring: { identifier: string } }>(
    '/user-blocks',
    {
      config: { scopes: ['update:users'] },
      schema: { querystring: identifierQuery, response: answers({ 204: noBody }) },
    },
    async (request, reply) => {
      await store.loginFailures.clear(ofIdentifier(request.query.identifier));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/user-blocks/:id',
    {
      config: { scopes: ['read:users'] },
      schema: { params: idParams, querystring: listQuery, response: answers({ 200: userBlocks }) },
    },
    async (request) => list(await ofUser(request.params.id)),
  );

  app.delete<{ Params: { id: string } }>(
    '/user-blocks/:id',
    { config: { scopes: ['update:users'] }, schema: { params: idParams, response: answers({ 204: noBody }) } },
    async (request, reply) => {
      await store.loginFailures.clear(await ofUser(request.params.id));
      return reply.code(204).send();
    },
  );
}
