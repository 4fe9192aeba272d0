// /api/v2/grants (Auth0 Management API v2, "User Grants"): the consents users gave to clients, listed and
// deleted. A deleted grant's scopes are asked for again on the consent page at the next authorization.
// Consent to OpenID Connect scopes alone is stored without an API; Auth0 lists it for the userinfo audience.
import type { FastifyInstance } from 'fastify';
import type { Consent, Store } from '../../store/types.js';
import { type PageQuery, pageOf, pageQuery, paged } from './pagination.js';
import { answers, noBody, offsetPage } from './schemas/common.js';
import { userGrant } from './schemas/users.js';

export interface GrantRouteDeps {
  store: Store;
  issuer: string;
}

interface ListQuery extends PageQuery {
  user_id?: string;
  client_id?: string;
  audience?: string;
}

const text = { type: 'string', minLength: 1, maxLength: 600 } as const;

export function grantRoutes(app: FastifyInstance, { store, issuer }: GrantRouteDeps) {
  const userinfo = `${issuer}userinfo`;
  const view = (consent: Consent) => ({
    id: consent.id,
    clientID: consent.client_id,
    user_id: consent.user_id,
    audience: consent.audience || userinfo,
    scope: consent.scope,
  });

  app.get<{ Querystring: ListQuery }>(
    '/grants',
    {
      config: { scopes: ['read:grants'] },
      schema: {
        querystring: {
          type: 'object',
          properties: { ...pageQuery, user_id: text, client_id: text, audience: text },
        },
        response: answers({ 200: offsetPage('grants', userGrant) }),
      },
    },
    async (request) => {
      const { query } = request;
      const audience = query.audience === userinfo ? '' : query.audience;
      const filter = { user_id: query.user_id, client_id: query.client_id, audience };
      const { consents, total } = await store.consents.list(filter, pageOf(query));
      return paged('grants', query, consents.map(view), total);
    },
  );

  // Auth0 "Delete a grant by user_id" and "Delete a grant by id": 204, whether or not there was one.
  app.delete<{ Querystring: { user_id: string } }>(
    '/grants',
    {
      config: { scopes: ['delete:grants'] },
      schema: {
        querystring: { type: 'object', required: ['user_id'], properties: { user_id: text } },
        response: answers({ 204: noBody }),
      },
    },
    async (request, reply) => {
      await store.consents.deleteOfUser(request.query.user_id);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/grants/:id',
    {
      config: { scopes: ['delete:grants'] },
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: text } },
        response: answers({ 204: noBody }),
      },
    },
    async (request, reply) => {
      await store.consents.delete(request.params.id);
      return reply.code(204).send();
    },
  );
}
