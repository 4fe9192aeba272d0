// Auth0 features Gatehouse does not have, answered so that a tool reading every kind of tenant object (Auth0's
// deploy CLI, docs/tenant-as-code.md) passes them by instead of failing on a 404 it does not expect. Each answer
// is true of Gatehouse: a list of things it never has (actions, flows, log streams…) is empty, and a feature
// Auth0 gates per tenant answers as Auth0 answers a tenant without it (Auth0 Management API v2 reference, each
// route's 403). Only reads: creating any of these stays a 404, as for every route Gatehouse does not serve.
import type { FastifyInstance } from 'fastify';
import { ManagementError, notFound } from './errors.js';
import { pageQuery, paged, type PageQuery } from './pagination.js';
import { answers, checkpointPage, object, offsetPage, closed, integer, string, boolean } from './schemas/common.js';

const ISSUER_DOMAIN_ID = 'cd_gatehouse_issuer';
const arrayOf = (item: object) => ({ type: 'array', items: item }) as const;

/** Offset-paged lists (`include_totals` wraps them), each with Auth0's path, collection name and read scope. */
const emptyLists: readonly { path: string; collection: string; scope: string }[] = [
  { path: '/flows', collection: 'flows', scope: 'read:flows' },
  { path: '/flows/vault/connections', collection: 'connections', scope: 'read:flows_vault_connections' },
  { path: '/forms', collection: 'forms', scope: 'read:forms' },
  { path: '/self-service-profiles', collection: 'self_service_profiles', scope: 'read:self_service_profiles' },
];

/** Lists Auth0 answers as a bare array. */
const emptyArrays: readonly { path: string; scope: string }[] = [
  { path: '/log-streams', scope: 'read:log_streams' },
  // Auth0 "Get multi-factor authentication policies": [] when no MFA policy is set; Gatehouse has no MFA.
  { path: '/guardian/policies', scope: 'read:mfa_policies' },
];

/** Auth0's answers for a tenant without the feature: the status, message and errorCode a tool recognises. */
const unavailable: readonly { path: string; scope: string; message: string; errorCode: string }[] = [
  // Auth0 "Rules and Hooks deprecation": tenants without rules are refused the deprecated feature.
  {
    path: '/rules',
    scope: 'read:rules',
    message: 'You are not allowed to use this deprecated feature.',
    errorCode: 'deprecated_feature',
  },
  {
    path: '/rules-configs',
    scope: 'read:rules_configs',
    message: 'You are not allowed to use this deprecated feature.',
    errorCode: 'deprecated_feature',
  },
  {
    path: '/token-exchange-profiles',
    scope: 'read:token_exchange_profiles',
    message: 'This feature is not enabled for this tenant.',
    errorCode: 'feature_not_enabled',
  },
  {
    path: '/supplemental-signals',
    scope: 'read:attack_protection',
    message: 'This feature is not enabled for this tenant.',
    errorCode: 'feature_not_enabled',
  },
];

export function absentFeatureRoutes(app: FastifyInstance, { issuer }: { issuer: string }) {
  // Auth0 serves the Universal Login page template only on a custom domain ("Customize Universal Login Page
  // Templates"); Gatehouse's pages are always on the issuer's own host, so that host is listed as the one,
  // ready, self-managed custom domain. A PATCH may restate it (what a tool that writes back what it read sends).
  const issuerDomain = {
    custom_domain_id: ISSUER_DOMAIN_ID,
    domain: new URL(issuer).host,
    primary: true,
    status: 'ready',
    type: 'self_managed_certs',
  };
  const customDomain = closed({
    custom_domain_id: string,
    domain: string,
    primary: boolean,
    status: string,
    type: string,
  });
  app.get(
    '/custom-domains',
    { config: { scopes: ['read:custom_domains'] }, schema: { response: answers({ 200: arrayOf(customDomain) }) } },
    async () => [issuerDomain],
  );
  app.patch<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/custom-domains/:id',
    {
      config: { scopes: ['update:custom_domains'] },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 256 } } },
        body: {
          type: 'object',
          properties: { tls_policy: string, custom_client_ip_header: { type: ['string', 'null'] } },
        },
        response: answers({ 200: customDomain }),
      },
    },
    async (request) => {
      if (request.params.id !== ISSUER_DOMAIN_ID) throw notFound('custom domain', 'inexistent_custom_domain');
      const changed = Object.keys(request.body ?? {}).find((field) => request.body[field] !== null);
      if (changed)
        throw new ManagementError(
          400,
          `Payload validation error: 'Gatehouse's domain is its issuer's: ${changed} cannot be set'.`,
          'invalid_body',
        );
      return issuerDomain;
    },
  );

  for (const { path, collection, scope } of emptyLists) {
    app.get<{ Querystring: PageQuery }>(
      path,
      {
        config: { scopes: [scope] },
        schema: {
          querystring: { type: 'object', properties: pageQuery },
          response: answers({ 200: offsetPage(collection, object) }),
        },
      },
      async (request) => paged(collection, request.query, [], 0),
    );
  }
  for (const { path, scope } of emptyArrays) {
    app.get(
      path,
      { config: { scopes: [scope] }, schema: { response: answers({ 200: arrayOf(object) }) } },
      async () => [],
    );
  }
  for (const { path, scope, message, errorCode } of unavailable) {
    app.get(path, { config: { scopes: [scope] }, schema: { response: answers({}) } }, async () => {
      throw new ManagementError(403, message, errorCode);
    });
  }

  // Auth0 "Set multi-factor authentication policies": with no MFA, the only policy list is the empty one.
  app.put(
    '/guardian/policies',
    {
      config: { scopes: ['update:mfa_policies'] },
      schema: { body: { type: 'array', maxItems: 0 }, response: answers({ 200: arrayOf(object) }) },
    },
    async () => [],
  );

  // Auth0 "Get actions": always {actions, total, page, per_page}. Gatehouse runs no actions.
  app.get<{ Querystring: PageQuery }>(
    '/actions/actions',
    {
      config: { scopes: ['read:actions'] },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            actionName: { type: 'string' },
            deployed: { type: 'boolean' },
            installed: { type: 'boolean' },
          },
        },
        response: answers({
          200: closed({ actions: arrayOf(object), total: integer, page: integer, per_page: integer }, ['actions']),
        }),
      },
    },
    async (request) => ({ actions: [], total: 0, page: request.query.page, per_page: request.query.per_page }),
  );

  // Auth0 "Get triggers": the triggers actions can be bound to; with no actions there is nothing to bind.
  app.get(
    '/actions/triggers',
    {
      config: { scopes: ['read:actions'] },
      schema: { response: answers({ 200: closed({ triggers: arrayOf(object) }) }) },
    },
    async () => ({ triggers: [] }),
  );

  // Auth0 "Get event streams": checkpoint paging ({eventStreams, next}) or a bare array.
  app.get(
    '/event-streams',
    {
      config: { scopes: ['read:event_streams'] },
      schema: {
        querystring: {
          type: 'object',
          properties: { from: { type: 'string' }, take: { type: 'integer', minimum: 1, maximum: 100 } },
        },
        response: answers({ 200: checkpointPage('eventStreams', object) }),
      },
    },
    async () => ({ eventStreams: [] }),
  );

  // Auth0 "Get a list of phone providers" / "Get a list of phone notification templates".
  app.get(
    '/branding/phone/providers',
    {
      config: { scopes: ['read:phone_providers'] },
      schema: { response: answers({ 200: closed({ providers: arrayOf(object) }) }) },
    },
    async () => ({ providers: [] }),
  );
  app.get(
    '/branding/phone/templates',
    {
      config: { scopes: ['read:phone_templates'] },
      schema: { response: answers({ 200: closed({ templates: arrayOf(object) }) }) },
    },
    async () => ({ templates: [] }),
  );
}
