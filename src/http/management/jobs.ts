// /api/v2/jobs/users-imports, /api/v2/jobs/users-exports, /api/v2/jobs/{id} and /api/v2/jobs/{id}/errors
// (Auth0 Management API v2, "Jobs"; Auth0 docs: "Bulk User Imports", "Bulk User Exports"). A job is stored, answered
// as pending, then run in this process once the answer is sent; its status, summary and errors are in the database
// (several instances answer for it). An export's file is downloaded from the job's `location`: a URL with a secret,
// valid for an hour, that needs no token (as Auth0's pre-signed URL), and never carries password hashes.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../../crypto/hash.js';
import { randomId } from '../../crypto/random.js';
import type { Job, Store } from '../../store/types.js';
import { exportFormats, parseExportFields } from '../../tenant-file/export-users.js';
import { runExportJob, runImportJob } from '../../tenant-file/run-jobs.js';
import { ManagementError } from './errors.js';
import { answers, boolean, integer, noBody, objects, open, string } from './schemas/common.js';

export interface JobRouteDeps {
  store: Store;
  issuer: string;
  now: () => number;
}

/** Auth0 docs, "Bulk User Imports": the users file may be at most 500 KB. */
const MAX_IMPORT_BYTES = 500 * 1024;
const DOWNLOAD_TTL_MS = 60 * 60 * 1000;

const job = open(
  {
    status: string,
    type: string,
    created_at: string,
    id: string,
    connection_id: string,
    external_id: string,
    upsert: boolean,
    location: string,
    format: string,
    limit: integer,
    fields: objects,
    summary: open({ failed: integer, updated: integer, inserted: integer, total: integer }),
  },
  ['status', 'type', 'id'],
);
const jobErrors = { type: 'array', items: open({ user: { type: 'object' }, errors: objects }) } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const exportBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    connection_id: { type: 'string', minLength: 1, maxLength: 64 },
    format: { type: 'string', enum: ['json', 'csv'] },
    limit: { type: 'integer', minimum: 1 },
    fields: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          export_as: { type: 'string', maxLength: 256 },
        },
      },
    },
  },
} as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
const inexistentJob = () => new ManagementError(404, 'The job does not exist.', 'inexistent_job');
const noConnection = () => new ManagementError(400, 'The connection does not exist.', 'inexistent_connection');
const bodyError = (message: string) =>
  new ManagementError(400, `Payload validation error: ${message}.`, 'invalid_body');

/** The job as Auth0 answers it: the request's settings, then the outcome once there is one. */
function jobView(job: Job, issuer: string, now: number): Record<string, unknown> {
  const view: Record<string, unknown> = {
    type: job.type,
    status: job.status,
    created_at: new Date(job.created_at).toISOString(),
    id: job.id,
    ...(job.connection_id ? { connection_id: job.connection_id } : {}),
    ...job.details,
  };
  if (job.summary) view.summary = job.summary;
  if (job.download_secret && now - job.updated_at < DOWNLOAD_TTL_MS)
    view.location = `${issuer}api/v2/jobs/${job.id}/file?secret=${job.download_secret}`;
  return view;
}

/** A multipart upload's fields; the users file is read whole (bounded by MAX_IMPORT_BYTES). */
async function readUpload(request: FastifyRequest) {
  const fields: Record<string, string> = {};
  let users: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'users') throw bodyError(`'Additional properties not allowed: ${part.fieldname}'`);
        users = await part.toBuffer();
      } else fields[part.fieldname] = String(part.value);
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw new ManagementError(413, `Payload content length greater than maximum allowed: ${MAX_IMPORT_BYTES}`);
    if (error instanceof ManagementError) throw error;
    throw new ManagementError(400, 'The request body could not be parsed', 'invalid_body');
  }
  // Read here, after the hook that refuses U+0000 in every other body (http/nul-bytes.ts): PostgreSQL text cannot
  // hold one, and a field reaches a query.
  if (Object.entries(fields).some(([name, value]) => `${name}${value}`.includes('\u0000')))
    throw new ManagementError(400, 'The request body could not be parsed', 'invalid_body');
  return { fields, users };
}

const flag = (value: string | undefined, name: string) => {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false')
    throw bodyError(`'Expected type boolean but found type string' on property ${name}`);
  return value === 'true';
};

export function jobRoutes(app: FastifyInstance, deps: JobRouteDeps) {
  const { store, issuer, now } = deps;
  /** Stores a pending job, answers 201 with it, then runs it in this process (its status stays in the database). */
  async function startJob(
    request: FastifyRequest,
    reply: FastifyReply,
    what: Pick<Job, 'type' | 'connection_id' | 'details' | 'input'>,
    work: (store: Store, id: string, now: () => number) => Promise<void>,
  ) {
    const at = now();
    const created: Job = {
      id: randomId('job_'),
      status: 'pending',
      ...what,
      summary: null,
      errors: null,
      output: null,
      download_secret: null,
      created_at: at,
      updated_at: at,
    };
    await store.jobs.insert(created);
    setImmediate(() =>
      work(store, created.id, now).catch((error: unknown) => request.log.error({ err: error }, 'job failed')),
    );
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send(jobView(created, issuer, now()));
  }

  app.register(async (uploads) => {
    await uploads.register(multipart, {
      limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 8, fieldSize: 1024, parts: 9 },
    });
    uploads.post(
      '/jobs/users-imports',
      { config: { scopes: ['create:users'] }, schema: { response: answers({ 201: job }) } },
      async (request: FastifyRequest, reply: FastifyReply) => {
        if (!request.isMultipart()) throw new ManagementError(415, 'Content-Type must be multipart/form-data');
        const { fields, users } = await readUpload(request);
        const allowed = ['connection_id', 'upsert', 'external_id', 'send_completion_email'];
        const extra = Object.keys(fields).find((name) => !allowed.includes(name));
        if (extra) throw bodyError(`'Additional properties not allowed: ${extra}'`);
        if (!users) throw bodyError("'Missing required property: users'");
        if (!fields.connection_id) throw bodyError("'Missing required property: connection_id'");
        const upsert = flag(fields.upsert, 'upsert') ?? false;
        const sendCompletionEmail = flag(fields.send_completion_email, 'send_completion_email') ?? true;
        const connection = await store.connections.get(fields.connection_id);
        if (connection?.strategy !== 'auth0') throw noConnection();
        return startJob(
          request,
          reply,
          {
            type: 'users_import',
            connection_id: connection.id,
            details: {
              connection: connection.name,
              upsert,
              send_completion_email: sendCompletionEmail,
              ...(fields.external_id ? { external_id: fields.external_id } : {}),
            },
            input: users.toString('utf8'),
          },
          runImportJob,
        );
      },
    );
  });

  app.post(
    '/jobs/users-exports',
    { config: { scopes: ['read:users'] }, schema: { body: exportBody, response: answers({ 201: job }) } },
    async (
      request: FastifyRequest<{
        Body: {
          connection_id?: string;
          format?: 'json' | 'csv';
          limit?: number;
          fields?: { name: string; export_as?: string }[];
        };
      }>,
      reply: FastifyReply,
    ) => {
      const body = request.body ?? {};
      const fields = body.fields ? parseExportFields(body.fields) : undefined;
      if (typeof fields === 'string') throw bodyError(fields);
      let connection: Awaited<ReturnType<Store['connections']['get']>>;
      if (body.connection_id) {
        connection = await store.connections.get(body.connection_id);
        if (!connection) throw noConnection();
      }
      const format = body.format ?? 'json';
      if (!exportFormats.includes(format)) throw bodyError(`'format' must be json or csv`);
      return startJob(
        request,
        reply,
        {
          type: 'users_export',
          connection_id: connection?.id ?? null,
          details: {
            format,
            ...(connection ? { connection: connection.name } : {}),
            ...(body.limit ? { limit: body.limit } : {}),
            ...(fields ? { fields } : {}),
          },
          input: null,
        },
        runExportJob,
      );
    },
  );

  app.get(
    '/jobs/:id',
    {
      config: { scopes: ['create:users', 'read:users'] },
      schema: { params: idParams, response: answers({ 200: job }) },
    },
    async (request: IdRequest, reply: FastifyReply) => {
      const found = await store.jobs.get(request.params.id);
      if (!found) throw inexistentJob();
      return reply.header('cache-control', 'no-store').send(jobView(found, issuer, now()));
    },
  );

  app.get(
    '/jobs/:id/errors',
    {
      config: { scopes: ['create:users', 'read:users'] },
      schema: { params: idParams, response: answers({ 200: jobErrors, 204: noBody }) },
    },
    async (request: IdRequest, reply: FastifyReply) => {
      const found = await store.jobs.get(request.params.id);
      if (!found) throw inexistentJob();
      // Auth0: 204 while a job has no errors to list.
      if (!found.errors?.length) return reply.code(204).send();
      return reply.header('cache-control', 'no-store').send(found.errors);
    },
  );

  app.get(
    '/jobs/:id/file',
    {
      // The secret in the URL is the credential, as in Auth0's pre-signed download URL: no bearer token.
      config: { signedUrl: true },
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: { secret: { type: 'string', maxLength: 128 } } },
      },
    },
    async (
      request: FastifyRequest<{ Params: { id: string }; Querystring: { secret?: string } }>,
      reply: FastifyReply,
    ) => {
      const found = await store.jobs.get(request.params.id);
      const secret = request.query.secret ?? '';
      const valid =
        found?.download_secret &&
        found.output !== null &&
        now() - found.updated_at < DOWNLOAD_TTL_MS &&
        safeEqual(found.download_secret, secret);
      if (!found || !valid)
        throw new ManagementError(404, 'The file does not exist or its link has expired.', 'inexistent_file');
      const extension = found.details.format === 'csv' ? 'csv' : 'json';
      return reply
        .header('cache-control', 'no-store')
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="${found.id}.${extension}.gz"`)
        .send(Buffer.from(found.output!, 'base64'));
    },
  );
}
