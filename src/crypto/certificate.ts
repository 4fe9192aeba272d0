// Self-signed X.509 certificates for the signing keys, as Auth0 publishes one for each of its keys (Auth0 docs
// "Signing Keys": the Management API's keys/signing answers `cert`, `pkcs7`, `fingerprint` and `thumbprint`;
// the JWKS carries `x5c` and `x5t`, RFC 7517 §4.7 and §4.8). Built by @peculiar/x509 and signed through
// WebCrypto with the key's own private key, so every algorithm WebCrypto signs with works (RS256, PS256,
// ES256 and Ed25519).
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { X509Certificate, X509CertificateGenerator, X509Certificates } from '@peculiar/x509';

/** Node's WebCrypto as @peculiar/x509 takes it: every certificate Gatehouse makes is built through this. */
export const x509Crypto = webcrypto as unknown as Crypto;

/** Auth0's tenant certificates are valid for about ten years from the key's creation. */
const VALIDITY_MS = 3652 * 24 * 60 * 60 * 1000;

export interface CertificateSubject {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** The subject's and issuer's common name: the host Gatehouse's issuer URL names, as Auth0 uses the tenant domain. */
  host: string;
  /** The key's creation (Unix ms): the certificate is valid from then. */
  notBefore: number;
}

/** A self-signed certificate for the key pair, as base64 DER (the form of a JWK's `x5c` entry). */
export async function selfSignedCertificate({
  publicKey,
  privateKey,
  host,
  notBefore,
}: CertificateSubject): Promise<string> {
  const algorithm = privateKey.algorithm as { name: string };
  // RFC 7518 §3.5: PS256's salt is as long as its SHA-256 hash.
  const signingAlgorithm = algorithm.name === 'RSA-PSS' ? { ...algorithm, saltLength: 32 } : algorithm;
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; random, as Auth0's are.
      serialNumber: randomBytes(16).toString('hex'),
      name: [{ CN: [host] }],
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + VALIDITY_MS),
      keys: { publicKey, privateKey },
      signingAlgorithm,
    },
    x509Crypto,
  );
  return Buffer.from(certificate.rawData).toString('base64');
}

/** PEM as Auth0 writes it: 64-character lines ending in CRLF. */
function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`, ''].join('\r\n');
}

export interface CertificateViews {
  cert: string;
  /** The certificate alone in a PKCS#7 SignedData (RFC 2315 §9.1, "degenerate" with no signers). */
  pkcs7: string;
  /** SHA-1 of the DER in upper-case hex pairs joined by colons. */
  fingerprint: string;
  /** SHA-1 of the DER in upper-case hex. */
  thumbprint: string;
}

/** RFC 7517 §4.8 `x5t`: the base64url SHA-1 of the certificate's DER. */
export function certificateThumbprint(base64Der: string): string {
  return createHash('sha1').update(Buffer.from(base64Der, 'base64')).digest('base64url');
}

/** The forms Auth0 answers a certificate in, from its base64 DER. */
export function certificateViews(base64Der: string): CertificateViews {
  const der = Buffer.from(base64Der, 'base64');
  const sha1 = createHash('sha1').update(der).digest();
  const thumbprint = sha1.toString('hex').toUpperCase();
  const pkcs7 = new X509Certificates([new X509Certificate(der)]).export('raw');
  return {
    cert: pem('CERTIFICATE', der),
    pkcs7: pem('PKCS7', Buffer.from(pkcs7)),
    fingerprint: thumbprint.match(/../g)!.join(':'),
    thumbprint,
  };
}
