// POST /oauth/token: accepts a form or JSON body, hands the protocol a plain TokenRequest, and sends
// the answer (or error) with Cache-Control: no-store. The hottest route there is (docs/benchmarks.md "The token endpoint"): no hook,
// schema or serialiser lookup of its own; the body is checked by one loop and the answer is one string.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/registry.js';
import { clientAuthParameters } from '../../protocol/client-auth.js';
import { OAuthError } from '../../protocol/errors.js';
import { FORWARDED_FOR_HEADER } from '../../protocol/forwarded-for.js';
import { grants } from '../../protocol/grants/index.js';
import { handleTokenRequest, type TokenDeps } from '../../protocol/token.js';
import { bodyParams } from './params.js';

/**
 * Every parameter the token endpoint reads: grant_type, client authentication's and each grant's own, as the
 * grants declare them. Others are ignored, as RFC 6749 §3.2 asks of unknown parameters.
 */
const tokenParameters: readonly string[] = [
  ...new Set(['grant_type', ...clientAuthParameters, ...[...grants.values()].flatMap((grant) => grant.parameters)]),
];

const answerHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

/**
 * Counts an issued token by grant type and the algorithm that signed its access token, read from the JWT's
 * header (RFC 7515 §4.1.1 `alg`). A token's header segment is the same for every token of one key, so the
 * counter for each (grant type, header) pair is looked up once.
 */
function countIssued(counter: Metrics['tokensIssued']) {
  const children = new Map<string, ReturnType<Metrics['tokensIssued']['labels']>>();
  return (grantType: string, accessToken: string) => {
    const dot = accessToken.indexOf('.');
    const header = dot > 0 ? accessToken.slice(0, dot) : '';
    const key = `${grantType} ${header}`;
    let child = children.get(key);
    if (!child) {
      if (children.size > 1000) children.clear();
      child = counter.labels(grantType, algOf(header));
      children.set(key, child);
    }
    child.inc();
  };
}

function algOf(header: string): string {
  try {
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    return typeof alg === 'string' ? alg : 'none';
  } catch {
    return 'none';
  }
}

export function tokenRoute(app: FastifyInstance, deps: TokenDeps, issued: Metrics['tokensIssued']) {
  const count = countIssued(issued);
  app.post('/oauth/token', async (request, reply) => {
    // One object, as before: the addresses are plain fields of it, read from the request as they are.
    const params = bodyParams(request, tokenParameters);
    const response = await handleTokenRequest(
      {
        params,
        authorization: request.headers.authorization,
        ip: request.ip,
        forwardedFor: request.headers[FORWARDED_FOR_HEADER],
        userAgent: request.headers['user-agent'],
      },
      deps,
    );
    count(params.grant_type as string, response.access_token);
    return reply.headers(answerHeaders).send(JSON.stringify(response));
  });
  // RFC 6749 §3.2: the token endpoint is POST only; other methods get an OAuth error body, not Fastify's 404.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/oauth/token',
    handler: async () => {
      throw new OAuthError('invalid_request', 'The token endpoint accepts only POST');
    },
  });
}
