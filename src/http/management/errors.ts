// The Management API's errors, in Auth0's shape {statusCode, error, message, errorCode} (Auth0 Management
// API v2 reference, "Errors"; e.g. 403 "Insufficient scope, expected any of: read:clients" with errorCode
// insufficient_scope). Framework errors (media type, parsing, body limit, schema) keep their 4xx status;
// a database that cannot be written is 503; anything unexpected is logged and answered as a bare 500.
import { STATUS_CODES } from 'node:http';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TenantFileError } from '../../tenant-file/parse.js';
import { RETRY_AFTER_SECONDS, type StorageHealth } from '../storage-health.js';

export class ManagementError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

// Auth0's 404 texts end with a period, e.g. "The user does not exist." (Management API v2 reference).
export const notFound = (what: string, errorCode: string) =>
  new ManagementError(404, `The ${what} does not exist.`, errorCode);

/** Runs one of the tenant file's apply functions, answering its refusals as the API's body errors (400). */
export async function applying<T>(apply: () => Promise<T>): Promise<T> {
  try {
    return await apply();
  } catch (error) {
    if (error instanceof TenantFileError)
      throw new ManagementError(400, `Payload validation error: ${error.message}.`, 'invalid_body');
    throw error;
  }
}

/** Auth0: "Payload validation error: 'Additional properties not allowed: foo'." */
function describe(issue: ErrorObject): string {
  const params = issue.params as Record<string, unknown>;
  if (issue.keyword === 'additionalProperties')
    return `'Additional properties not allowed: ${params.additionalProperty}'`;
  if (issue.keyword === 'required') return `'Missing required property: ${params.missingProperty}'`;
  const where = issue.instancePath ? ` on property ${issue.instancePath.slice(1).replaceAll('/', '.')}` : '';
  return `'${issue.message ?? 'is invalid'}'${where}`;
}

function send(reply: FastifyReply, error: ManagementError) {
  const body: Record<string, unknown> = {
    statusCode: error.statusCode,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message: error.message,
  };
  if (error.errorCode) body.errorCode = error.errorCode;
  return reply.code(error.statusCode).header('cache-control', 'no-store').send(body);
}

export function toManagementError(error: FastifyError, request: FastifyRequest, storage: StorageHealth) {
  if (error instanceof ManagementError) return error;
  if (error.validation) {
    const issue = describe(error.validation[0] as ErrorObject);
    return error.validationContext === 'body'
      ? new ManagementError(400, `Payload validation error: ${issue}.`, 'invalid_body')
      : new ManagementError(400, `Query validation error: ${issue}.`, 'invalid_query_string');
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ManagementError(413, 'Request body is too large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ManagementError(415, 'Content-Type must be application/json');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return new ManagementError(400, 'The request body could not be parsed', 'invalid_body');
  if (storage.report(error, request.log)) {
    return new ManagementError(503, 'The service is temporarily unavailable. Try again later.');
  }
  request.log.error({ err: error }, 'unexpected error');
  return new ManagementError(500, 'An unexpected error occurred');
}

export function managementErrorHandler(storage: StorageHealth) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = toManagementError(error, request, storage);
    if (answer.statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return send(reply, answer);
  };
}

/** Unknown /api/v2 paths: the body the root fallback gives (no errorCode), echoing nothing of the request. */
export function managementNotFound(_request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(404)
    .header('cache-control', 'no-store')
    .send({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
}
