// The Management API surface, /api/v2 (Auth0 Management API v2): JSON bodies up to 1 MiB, a bearer token
// for <issuer>api/v2/ with the scope each route declares, and every error in Auth0's shape (errors.ts).
// Its own not-found handler answers unknown /api/v2 paths (Fastify keeps one per prefix).
import { Ajv } from 'ajv';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/events.js';
import { endpoints } from '../../config.js';
import type { SurfaceDeps } from '../surface.js';
import { requireScopes } from './auth.js';
import { absentFeatureRoutes } from './absent-features.js';
import { attackProtectionRoutes } from './attack-protection.js';
import { brandingRoutes } from './branding.js';
import { clientGrantRoutes } from './client-grants.js';
import { clientRoutes } from './clients.js';
import { connectionRoutes } from './connections.js';
import { emailTemplateRoutes } from './email-templates.js';
import { managementErrorHandler, managementNotFound } from './errors.js';
import { checkedSerializer } from './response-check.js';
import { grantRoutes } from './grants.js';
import { jobRoutes } from './jobs.js';
import { logRoutes } from './logs.js';
import { promptRoutes } from './prompts.js';
import { resourceServerRoutes } from './resource-servers.js';
import { roleRoutes } from './roles.js';
import { signingKeyRoutes } from './signing-keys.js';
import { certificateHost } from '../../protocol/keys/rotation.js';
import { tenantSettingsRoutes } from './tenant-settings.js';
import { ticketRoutes } from './tickets.js';
import { userBlockRoutes } from './user-blocks.js';
import { userRoleRoutes } from './user-roles.js';
import { userRoutes } from './users.js';

const BODY_LIMIT = 1024 * 1024;

type ManagementSurfaceDeps = Pick<
  SurfaceDeps,
  'config' | 'store' | 'keyring' | 'box' | 'storage' | 'audit' | 'now' | 'passwords' | 'messages'
>;

/** Auth0 logs every change through the Management API: sapi when it succeeded, fapi when it did not. */
function recordChange(audit: AuditLog) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const status = reply.statusCode;
    const path = request.url.split('?', 1)[0].slice(0, 256);
    audit.record({
      type: status < 400 ? 'sapi' : 'fapi',
      description: `${request.method} ${request.routeOptions.url ?? path}`,
      ip: request.ip,
      user_agent: request.headers['user-agent'],
      client_id: request.caller?.clientId,
      // Method, path and status only: bodies carry secrets (a client's, a user's password).
      details: { request: { method: request.method, path }, response: { statusCode: status } },
    });
  };
}

export function managementSurface(deps: ManagementSurfaceDeps): FastifyPluginAsync {
  const { config, store, keyring, box, now } = deps;
  const auth = { keyring, issuer: config.issuer, audience: endpoints(config.issuer).managementAudience, now };
  // Bodies as sent: a field Auth0's schema does not know is refused, never dropped or coerced (Fastify's
  // own ajv removes additional properties). Query strings are text, so their numbers and booleans are coerced.
  const bodies = new Ajv({ allErrors: false, strict: false });
  const queries = new Ajv({ allErrors: false, strict: false, coerceTypes: true, useDefaults: true });
  // Answers are checked against their schemas, never changed (response-check.ts).
  const responses = new Ajv({ allErrors: true, strict: false });
  const plugin: FastifyPluginAsync = async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_request, text, done) => {
        // A POST without a body (rotate-secret) may still say application/json.
        if (text === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text as string));
        } catch {
          done(Object.assign(new Error('The request body is not JSON'), { statusCode: 400 }), undefined);
        }
      },
    );
    api.setValidatorCompiler(({ schema, httpPart }) =>
      (httpPart === 'body' ? bodies : queries).compile(schema as object),
    );
    api.setSerializerCompiler(checkedSerializer(responses, api.log));
    api.setErrorHandler(managementErrorHandler(deps.storage));
    api.setNotFoundHandler(managementNotFound);
    api.addHook('onRequest', requireScopes(auth));
    api.addHook('onResponse', recordChange(deps.audit));
    clientRoutes(api, { store, box });
    logRoutes(api, { store, retentionDays: config.logRetentionDays, now });
    signingKeyRoutes(api, { store, box, keyring, now, certificateHost: certificateHost(config.issuer) });
    brandingRoutes(api, { store });
    tenantSettingsRoutes(api, { store });
    userRoutes(api, { store, passwords: deps.passwords, audit: deps.audit, now });
    roleRoutes(api, { store });
    userRoleRoutes(api, { store });
    grantRoutes(api, { store, issuer: config.issuer });
    userBlockRoutes(api, { store, now });
    clientGrantRoutes(api, { store });
    resourceServerRoutes(api, { store, managementAudience: auth.audience });
    connectionRoutes(api, { store });
    ticketRoutes(api, { store, messages: deps.messages, audit: deps.audit, issuer: config.issuer, now });
    emailTemplateRoutes(api, { store, from: config.smtpFrom });
    jobRoutes(api, { store, issuer: config.issuer, now });
    attackProtectionRoutes(api);
    promptRoutes(api);
    absentFeatureRoutes(api, { issuer: config.issuer });
  };
  return async (app) => {
    await app.register(plugin, { prefix: '/api/v2' });
  };
}
