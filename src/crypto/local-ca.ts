// The local certificate authority of GATEHOUSE_TLS=auto and the server certificate it issues: ECDSA P-256 keys
// made by WebCrypto, certificates built and signed by @peculiar/x509 (certificate.ts loads its polyfill).
// The CA is what a developer trusts once; the server certificate names localhost, 127.0.0.1, ::1 and the
// configured hosts, and is issued again when that list changes or it nears its end.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { x509Crypto } from './certificate.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_MS = 3652 * DAY_MS;
/** CA/Browser Forum Baseline Requirements §6.3.2 cap public server certificates at 398 days; stay under it. */
const SERVER_VALIDITY_MS = 365 * DAY_MS;
/** A server certificate with less left than this is issued again at start. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Backdated a little, so that a client whose clock is slightly behind still accepts a fresh certificate. */
const BACKDATE_MS = 60 * 60 * 1000;

const keyAlgorithm: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const signingAlgorithm: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export interface IssuedPem {
  cert: string;
  key: string;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return x509Crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await x509Crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets, random (CA/B Forum BR §7.1: 64 bits of entropy at least). */
const serialNumber = () => `01${randomBytes(16).toString('hex')}`;

/** A new self-signed CA (RFC 5280 §4.2.1.9 cA, §4.2.1.3 keyCertSign), valid for ten years. */
export async function createLocalCa(now: number, label: string): Promise<IssuedPem> {
  const keys = await generateKeys();
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [{ CN: [`Gatehouse local CA (${label})`] }, { O: ['Gatehouse development'] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + CA_VALIDITY_MS),
      keys,
      signingAlgorithm,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return { cert: `${certificate.toString('pem').trimEnd()}\n`, key: await privateKeyPem(keys.privateKey) };
}

/** A server certificate for `hosts` (DNS names and IP addresses, RFC 5280 §4.2.1.6), signed by the CA. */
export async function issueServerCertificate(ca: IssuedPem, hosts: readonly string[], now: number): Promise<IssuedPem> {
  const caCertificate = new X509Certificate(ca.cert);
  const caKey = await x509Crypto.subtle.importKey(
    'pkcs8',
    Buffer.from(ca.key.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    keyAlgorithm,
    false,
    ['sign'],
  );
  const keys = await generateKeys();
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: [{ CN: [hosts[0]] }],
      issuer: caCertificate.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + SERVER_VALIDITY_MS, caCertificate.notAfter.getTime())),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(
          hosts.map((host) =>
            isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host },
          ),
        ),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        await AuthorityKeyIdentifierExtension.create(caCertificate, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return { cert: `${certificate.toString('pem').trimEnd()}\n`, key: await privateKeyPem(keys.privateKey) };
}
