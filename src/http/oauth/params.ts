// The parameters of a form or JSON body, for the OAuth endpoints that take either (as /oauth/token does).
import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../../protocol/errors.js';

export type BodyParams = Partial<Record<string, string>>;

/**
 * The body must be an object (no body at all is an empty one) and each of `names` a string when present.
 * RFC 6749 §3.2 (and RFC 7009 §2.1, RFC 7662 §2.1, which use its encoding): none may be sent more than once,
 * which a form body shows as an array. Other parameters are ignored.
 */
export function bodyParams(request: FastifyRequest, names: readonly string[]): BodyParams {
  const body = request.body === undefined ? {} : request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be an object');
  }
  const params = body as Record<string, unknown>;
  for (const name of names) {
    const value = params[name];
    if (value === undefined || typeof value === 'string') continue;
    // Media types are case-insensitive (RFC 9110 §8.3.1), as Fastify's parser lookup is.
    if (
      Array.isArray(value) &&
      request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ) {
      throw new OAuthError('invalid_request', `Parameter sent more than once: ${name}`);
    }
    throw new OAuthError('invalid_request', `Invalid parameter: ${name} must be a string`);
  }
  return params as BodyParams;
}
