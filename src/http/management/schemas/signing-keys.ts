// Signing keys as Auth0 answers them: the SDK's GetSigningKeysResponseContent (closed; Gatehouse adds `alg`, as it
// signs with several algorithms, docs/signing-keys.md), and the {cert, kid} of a rotation or a revocation.
import { boolean, closed, open, string } from './common.js';

export const signingKey = closed(
  {
    kid: string,
    alg: string,
    cert: string,
    pkcs7: string,
    current: boolean,
    next: boolean,
    previous: boolean,
    current_since: string,
    current_until: string,
    fingerprint: string,
    thumbprint: string,
    revoked: boolean,
    revoked_at: string,
  },
  ['kid', 'cert', 'fingerprint', 'thumbprint'],
);

/** RotateSigningKeysResponseContent and RevokedSigningKeysResponseContent. */
export const keyCertificate = open({ cert: string, kid: string }, ['cert', 'kid']);
