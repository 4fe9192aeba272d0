// The OAuth surface's error handler: every failure becomes {error, error_description} with the status
// of OAuthError's table and Cache-Control: no-store. Framework errors (content type, parsing, schema,
// body limit) are invalid_request; anything unexpected is logged and answered as a bare server_error.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../protocol/errors.js';

export function toOAuthError(error: FastifyError | OAuthError, request: FastifyRequest): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error.validation) {
    const issue = error.validation[0];
    const name = issue.instancePath.slice(1) || (issue.params as { missingProperty?: string }).missingProperty || 'body';
    return new OAuthError('invalid_request', `Invalid parameter: ${name} must be a string`);
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new OAuthError('invalid_request', 'Request body is too large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded or application/json');
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new OAuthError('invalid_request', 'The request body could not be parsed');
  }
  request.log.error({ err: error }, 'unexpected error');
  return new OAuthError('server_error', 'An unexpected error occurred');
}

export function sendOAuthError(error: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply) {
  const oauthError = toOAuthError(error, request);
  // 413 is the one status a framework error keeps: an oversized body gets it (docs/operations.md "Request bodies").
  const status = (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : oauthError.status;
  if (oauthError.code !== 'server_error' && oauthError.cause) request.log.info({ reason: String(oauthError.cause) }, oauthError.code);
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...oauthError.headers })
    .send(oauthError.toJSON());
}
