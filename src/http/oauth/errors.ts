// The OAuth surface's error handler: every failure becomes {error, error_description} with the status
// of OAuthError's table and Cache-Control: no-store. Framework errors (content type, parsing, schema,
// body limit) are invalid_request; a database that cannot be written is temporarily_unavailable; anything
// unexpected is logged and answered as a bare server_error.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../protocol/errors.js';
import { RETRY_AFTER_SECONDS, type StorageHealth } from '../storage-health.js';

// RFC 6749 §4.1.2.1: temporarily_unavailable, "due to a temporary overloading or maintenance of the server".
export const temporarilyUnavailable = () =>
  new OAuthError('temporarily_unavailable', 'The service is temporarily unavailable. Try again later.', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });

export function toOAuthError(
  error: FastifyError | OAuthError,
  request: FastifyRequest,
  storage: StorageHealth,
): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error.validation) {
    const issue = error.validation[0];
    const name =
      issue.instancePath.slice(1) || (issue.params as { missingProperty?: string }).missingProperty || 'body';
    return new OAuthError('invalid_request', `Invalid parameter: ${name} must be a string`);
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new OAuthError('invalid_request', 'Request body is too large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new OAuthError(
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded or application/json',
    );
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new OAuthError('invalid_request', 'The request body could not be parsed');
  }
  if (storage.report(error, request.log)) return temporarilyUnavailable();
  request.log.error({ err: error }, 'unexpected error');
  return new OAuthError('server_error', 'An unexpected error occurred');
}

export const oauthErrorHandler =
  (storage: StorageHealth) => (error: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply) =>
    sendOAuthError(toOAuthError(error, request, storage), error, request, reply);

export function sendOAuthError(
  oauthError: OAuthError,
  error: FastifyError | OAuthError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  // 413 is the one status a framework error keeps: an oversized body gets it (docs/operations.md "Request bodies").
  const status = (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : oauthError.status;
  if (oauthError.code !== 'server_error' && oauthError.cause)
    request.log.info({ reason: String(oauthError.cause) }, oauthError.code);
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...oauthError.headers })
    .send(oauthError.toJSON());
}
