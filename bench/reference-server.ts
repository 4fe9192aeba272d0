// The reference token server (npm run bench -- --reference): the least a Node + Fastify server can do for
// the benchmark's work, run with node:cluster like the others:
//   node dist/bench/reference-server.js      (settings in REFERENCE_* variables, set by bench/reference.ts)
// POST /oauth/token reads the form, builds the claims Gatehouse issues for client_credentials and signs
// them with node:crypto's asynchronous sign; GET /healthz answers 200. It is a floor, not a server: it
// authenticates no client (an Authorization header need only be there), looks nothing up and logs nothing.
import cluster from 'node:cluster';
import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  type SignKeyObjectInput,
} from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

type Alg = 'RS256' | 'ES256';

/** What bench/reference.ts passes in the environment. */
interface ReferenceConfig {
  port: number;
  workers: number;
  issuer: string;
  clientId: string;
  scope: string;
  /** API identifier → the algorithm its tokens are signed with. */
  audiences: Record<string, Alg>;
}

const LIFETIME = 86400;
const answerHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function readConfig(env: NodeJS.ProcessEnv): ReferenceConfig {
  return {
    port: Number(env.REFERENCE_PORT),
    workers: Number(env.REFERENCE_WORKERS),
    issuer: env.REFERENCE_ISSUER!,
    clientId: env.REFERENCE_CLIENT_ID!,
    scope: env.REFERENCE_SCOPE!,
    audiences: JSON.parse(env.REFERENCE_AUDIENCES!) as Record<string, Alg>,
  };
}

/** One key per algorithm, made by the primary so every worker signs with the same keys (PKCS#8 PEM). */
function generateKeys(): Record<Alg, string> {
  const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }) as string;
  return {
    RS256: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    ES256: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
  };
}

interface Signer {
  /** base64url of the protected header, encoded once. */
  header: string;
  key: SignKeyObjectInput;
}

function signerFor(alg: Alg, pem: string): Signer {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: `reference-${alg.toLowerCase()}` })).toString(
    'base64url',
  );
  const key = createPrivateKey(pem);
  // RFC 7518 §3.4: an ES256 signature is r‖s, not DER.
  return { header, key: alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : { key } };
}

function signJwt(signer: Signer, payload: object): Promise<string> {
  const input = `${signer.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), signer.key, (error, signature) => {
      if (error) reject(error);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}

async function serve(config: ReferenceConfig, keys: Record<Alg, string>) {
  const signers = new Map(
    Object.entries(config.audiences).map(([audience, alg]) => [audience, signerFor(alg, keys[alg])]),
  );
  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/oauth/token', async (request, reply) => {
    const { grant_type, audience } = (request.body ?? {}) as Record<string, unknown>;
    const signer = typeof audience === 'string' ? signers.get(audience) : undefined;
    // The floor checks only that the request is shaped right: no client authentication, no grant lookup.
    if (grant_type !== 'client_credentials' || !signer || !request.headers.authorization) {
      return reply.code(400).headers(answerHeaders).send('{"error":"invalid_request"}');
    }
    const iat = Math.floor(Date.now() / 1000);
    const access_token = await signJwt(signer, {
      iss: config.issuer,
      sub: `${config.clientId}@clients`,
      aud: audience,
      iat,
      exp: iat + LIFETIME,
      jti: randomUUID(),
      client_id: config.clientId,
      azp: config.clientId,
      scope: config.scope,
      gty: 'client-credentials',
    });
    return reply
      .headers(answerHeaders)
      .send(JSON.stringify({ access_token, token_type: 'Bearer', expires_in: LIFETIME, scope: config.scope }));
  });
  await app.listen({ port: config.port, host: '127.0.0.1' });
}

const config = readConfig(process.env);
if (cluster.isPrimary) {
  const keys = JSON.stringify(generateKeys());
  for (let i = 0; i < config.workers; i++) cluster.fork({ REFERENCE_KEYS: keys });
  cluster.on('exit', (worker, code, signal) =>
    console.error(`reference worker ${worker.process.pid} exited (${signal ?? code})`),
  );
} else {
  serve(config, JSON.parse(process.env.REFERENCE_KEYS!) as Record<Alg, string>).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
