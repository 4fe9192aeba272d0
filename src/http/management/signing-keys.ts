// /api/v2/keys/signing (Auth0 Management API v2, "Signing keys"; Auth0 docs "Rotate Signing Keys" and "Revoke
// Signing Keys"): list, get, rotate, revoke, through the same functions as `gatehouse keys` (keys/rotation.ts).
// Gatehouse keeps a current, next and previous key for each algorithm it signs with (docs/signing-keys.md), so
// the list holds every algorithm's keys, each with its `alg`. After a rotation or a revocation this worker
// reads the keys again at once, the cached store has told the instance's other workers (the transaction holds
// the signing_keys lock), and other instances re-read the key table within a second (protocol/keys/keyring.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { certificateViews } from '../../crypto/certificate.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Keyring } from '../../protocol/keys/keyring.js';
import {
  ensureCertificates,
  revokeSigningKey,
  rotateSigningKeys,
  SigningKeyInUseError,
} from '../../protocol/keys/rotation.js';
import type { SigningKey, Store } from '../../store/types.js';
import { ManagementError, notFound } from './errors.js';
import { answers } from './schemas/common.js';
import { keyCertificate, signingKey } from './schemas/signing-keys.js';

export interface SigningKeyRouteDeps {
  store: Store;
  box: SecretBox;
  keyring: Keyring;
  now: () => number;
  /** The host the keys' certificates name (rotation.ts certificateHost). */
  certificateHost: string;
}

const kidParams = {
  type: 'object',
  required: ['kid'],
  properties: { kid: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
type KidRequest = FastifyRequest<{ Params: { kid: string } }>;

const inexistent = () => notFound('signing key', 'inexistent_signing_key');
const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** A key in Auth0's shape (SigningKeys), with Gatehouse's `alg`. */
function view(key: SigningKey & { certificate: string }): Record<string, unknown> {
  // Auth0 docs "Signing Keys": `cert` is the key's certificate, `pkcs7` the same in a PKCS#7 container, and
  // `fingerprint`/`thumbprint` its SHA-1 with and without colons.
  const out: Record<string, unknown> = { kid: key.kid, alg: key.alg, ...certificateViews(key.certificate) };
  if (key.status === 'current') out.current = true;
  if (key.status === 'next') out.next = true;
  if (key.status === 'previous') out.previous = true;
  if (key.status === 'revoked') out.revoked = true;
  const since = iso(key.current_since);
  if (since) out.current_since = since;
  // A key stopped being current when it became previous.
  const until = key.current_since === null ? undefined : iso(key.previous_since);
  if (until) out.current_until = until;
  const revoked = iso(key.revoked_at);
  if (revoked) out.revoked_at = revoked;
  return out;
}

const certified = (keys: SigningKey[]) =>
  keys.filter((k): k is SigningKey & { certificate: string } => !!k.certificate);

export function signingKeyRoutes(app: FastifyInstance, deps: SigningKeyRouteDeps) {
  const { store, box, keyring, now, certificateHost } = deps;
  /** Every key, each with its certificate: a key from before certificates gets its one now (and the JWKS with it). */
  const keys = async () => {
    const all = await store.signingKeys.list();
    if (all.every((k) => k.certificate !== null)) return certified(all);
    if (await ensureCertificates(store, box, certificateHost)) keyring.invalidate();
    return certified(await store.signingKeys.list());
  };

  const list = {
    config: { scopes: ['read:signing_keys'] },
    schema: { response: answers({ 200: { type: 'array', items: signingKey } }) },
  };
  app.get('/keys/signing', list, async () => (await keys()).map(view));

  app.get(
    '/keys/signing/:kid',
    {
      config: { scopes: ['read:signing_keys'] },
      schema: { params: kidParams, response: answers({ 200: signingKey }) },
    },
    async (request: KidRequest) => {
      const key = (await keys()).find((k) => k.kid === request.params.kid);
      if (!key) throw inexistent();
      return view(key);
    },
  );

  // Auth0 "Rotate the Application Signing Key": the token needs both create:signing_keys and update:signing_keys.
  const rotate = { allScopes: ['create:signing_keys', 'update:signing_keys'] };
  const rotated = { response: answers({ 201: keyCertificate }) };
  app.post('/keys/signing/rotate', { config: rotate, schema: rotated }, async (_request, reply) => {
    const kids = await rotateSigningKeys(store, box, now, certificateHost);
    keyring.invalidate();
    // Auth0 signs with RS256 only: the answer names the RS256 key that signs from now on (the former next key).
    const current = (await keys()).find((k) => k.alg === 'RS256' && kids.includes(k.kid))!;
    return reply.code(201).send({ cert: certificateViews(current.certificate).cert, kid: current.kid });
  });

  app.put(
    '/keys/signing/:kid/revoke',
    {
      config: { scopes: ['update:signing_keys'] },
      schema: { params: kidParams, response: answers({ 200: keyCertificate }) },
    },
    async (request: KidRequest) => {
      let revoked: SigningKey | undefined;
      try {
        revoked = await revokeSigningKey(store, request.params.kid, now);
      } catch (error) {
        // Auth0 docs "Revoke Signing Keys": only a previously used key can be revoked; rotate first.
        if (error instanceof SigningKeyInUseError) throw new ManagementError(400, error.message, 'invalid_body');
        throw error;
      }
      if (!revoked) throw inexistent();
      keyring.invalidate();
      const key = (await keys()).find((k) => k.kid === revoked.kid)!;
      return { cert: certificateViews(key.certificate).cert, kid: key.kid };
    },
  );
}
