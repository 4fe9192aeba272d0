// What answers outside every route: unknown paths (and known paths with a method they do not take), URLs
// the router cannot read, and errors in the root scope (/healthz, /.well-known/*). Each answer takes the
// shape of the surface the path belongs to and never echoes the method, path or query (Fastify's
// defaults would, and name the framework). No driver message, file path or stack reaches a client.
//
//   /oauth/*, /userinfo, /.well-known/*, /healthz   OAuth JSON {error, error_description}
//   /test/* (the test API, or its 404 outside test mode)
//   /dbconnections/*                                 Auth0's database-connections shape
//   /api/v2/*                                        Auth0's Management API shape {statusCode, error, message}
//   anything else                                    an HTML error page (what a browser gets)
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type PageDeps, sendErrorPage } from '../login/pages.js';
import { sendError as sendDbconnectionsError } from './dbconnections.js';
import { RETRY_AFTER_SECONDS, type StorageHealth } from './storage-health.js';

type Surface = 'oauth' | 'dbconnections' | 'management' | 'browser';

function surfaceOf(url: string): Surface {
  const path = url.split('?', 1)[0];
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (under('/api/v2')) return 'management';
  if (under('/dbconnections')) return 'dbconnections';
  if (under('/oauth') || under('/userinfo') || under('/.well-known') || under('/healthz') || under('/test'))
    return 'oauth';
  return 'browser';
}

type Kind = 'not_found' | 'bad_request' | 'unavailable' | 'server_error';

const statuses: Record<Kind, number> = { not_found: 404, bad_request: 400, unavailable: 503, server_error: 500 };
const reasons: Record<Kind, string> = {
  not_found: 'Not Found',
  bad_request: 'Bad Request',
  unavailable: 'Service Unavailable',
  server_error: 'Internal Server Error',
};
const descriptions: Record<Kind, string> = {
  not_found: 'Not found',
  bad_request: 'The request could not be read',
  unavailable: 'The service is temporarily unavailable. Try again later.',
  server_error: 'An unexpected error occurred',
};
// OAuth JSON has no code for "no such endpoint" (RFC 6749 §5.2 lists request errors only): `not_found`
// names it plainly, so a client does not read it as a problem with its parameters. The others are RFC 6749's.
const oauthCodes: Record<Kind, string> = {
  not_found: 'not_found',
  bad_request: 'invalid_request',
  unavailable: 'temporarily_unavailable', // RFC 6749 §4.1.2.1
  server_error: 'server_error',
};

/** A page that needs nothing from the database, for when the branded one cannot be rendered. */
const plainPage = (kind: Kind) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${reasons[kind]}</title></head>` +
  `<body><h1>${reasons[kind]}</h1><p>${descriptions[kind]}</p></body></html>`;

async function answer(
  kind: Kind,
  request: FastifyRequest,
  reply: FastifyReply,
  pages: PageDeps,
): Promise<FastifyReply> {
  const status = statuses[kind];
  reply.header('cache-control', 'no-store');
  if (kind === 'unavailable') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  switch (surfaceOf(request.url)) {
    case 'oauth':
      return reply.code(status).send({ error: oauthCodes[kind], error_description: descriptions[kind] });
    case 'dbconnections':
      return sendDbconnectionsError(
        reply,
        kind === 'unavailable' ? 'temporarily_unavailable' : kind === 'not_found' ? 'not_found' : 'bad.request',
        descriptions[kind],
        {},
        status,
      );
    case 'management':
      // Auth0 Management API v2 errors: {statusCode, error, message} (the Management API "Errors" page).
      return reply.code(status).send({
        statusCode: status,
        error: reasons[kind],
        message: kind === 'not_found' ? 'Not Found' : descriptions[kind],
      });
    case 'browser':
      try {
        return await sendErrorPage(reply, pages, status, descriptions[kind], reasons[kind]);
      } catch (error) {
        request.log.error({ err: error }, 'could not render the error page');
        return reply.code(status).type('text/html; charset=utf-8').send(plainPage(kind));
      }
  }
}

/**
 * The root scope's handlers: unknown routes, the root error handler (the three surfaces install their
 * own), and Fastify's framework errors (a URL the router cannot read).
 */
export function fallbackHandlers(app: FastifyInstance, pages: PageDeps, storage: StorageHealth) {
  app.setNotFoundHandler((request, reply) => answer('not_found', request, reply, pages));
  app.setErrorHandler((error: FastifyError, request, reply) => errorAnswer(error, request, reply, pages, storage));
}

export function errorAnswer(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  pages: PageDeps,
  storage: StorageHealth,
) {
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    request.log.info({ reason: error.code ?? error.message }, 'bad request');
    return answer('bad_request', request, reply, pages);
  }
  if (storage.report(error, request.log)) return answer('unavailable', request, reply, pages);
  request.log.error({ err: error }, 'unexpected error');
  return answer('server_error', request, reply, pages);
}
