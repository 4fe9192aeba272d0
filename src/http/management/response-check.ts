// Every Management API route declares the schema of each answer it gives (schemas/). Fastify's own serializer
// (fast-json-stringify) would drop what a schema does not list and coerce what it types otherwise: it would cut
// app_metadata, the Auth0 fields Gatehouse stores without effect and `fields=` projections. This serializer
// compiler checks an answer against its schema with ajv and sends it as JSON.stringify writes it, unchanged,
// whether or not it matches; a mismatch is logged at warn with the route, the status and ajv's findings, never
// the answer itself (it may hold a client secret).
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { FastifyBaseLogger, FastifySerializerCompiler } from 'fastify';

export const RESPONSE_MISMATCH = 'management response does not match its schema';

/** Where the answer differs from its schema: paths and keywords, not values. */
const findings = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map(({ instancePath, schemaPath, keyword, message }) => ({
    instancePath,
    schemaPath,
    keyword,
    message,
  }));

export function checkedSerializer(ajv: Ajv, log: FastifyBaseLogger): FastifySerializerCompiler<unknown> {
  return ({ schema, method, url, httpStatus }) => {
    // Compiled on the first answer, not at start: a worker that never serves a route keeps no validator for it
    // (about a hundred routes, each with several statuses, cost every worker's start time and memory otherwise).
    let validate: ValidateFunction | undefined;
    const route = `${method} ${url}`;
    return (data: unknown) => {
      validate ??= ajv.compile(schema as object);
      if (!validate(data))
        log.warn({ route, status: httpStatus, errors: findings(validate.errors) }, RESPONSE_MISMATCH);
      return JSON.stringify(data);
    };
  };
}
