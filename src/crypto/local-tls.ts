// The files of GATEHOUSE_TLS=auto, in GATEHOUSE_TLS_DIR (beside a SQLite database by default):
//   gatehouse-ca.key   the CA's private key and certificate, readable by the owner only (0600)
//   gatehouse-ca.pem   the CA's certificate alone: what Node, curl and browsers are told to trust
//   gatehouse-tls.pem  the server's private key, certificate and the CA's certificate (0600)
// The CA is made once and kept; the server certificate is issued again when the hosts change, when it nears
// its end, or when it was not signed by the CA beside it. Several starts may share the directory at once:
// the CA file is linked into place (the first start wins, the others read its CA) and the server file is
// renamed into place, so no start ever reads half a file.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createHash, randomBytes, X509Certificate as NodeCertificate } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SubjectAlternativeNameExtension, X509Certificate } from '@peculiar/x509';
import { createLocalCa, type IssuedPem, issueServerCertificate, RENEW_BEFORE_MS } from './local-ca.js';

export interface LocalTlsFiles {
  /** The CA certificate to trust (NODE_EXTRA_CA_CERTS, curl --cacert). */
  caPath: string;
  caKeyPath: string;
  /** The server's key and certificate chain. */
  serverPath: string;
}

export const localTlsFiles = (dir: string): LocalTlsFiles => ({
  caPath: join(dir, 'gatehouse-ca.pem'),
  caKeyPath: join(dir, 'gatehouse-ca.key'),
  serverPath: join(dir, 'gatehouse-tls.pem'),
});

const blocks = (pem: string, label: string) =>
  pem.match(new RegExp(`-----BEGIN ${label}-----[^-]+-----END ${label}-----\\n?`, 'g')) ?? [];

/** A PEM file's private key and its certificates, in order (the server's first, then its chain). */
export function splitPem(pem: string): IssuedPem {
  return { key: blocks(pem, 'PRIVATE KEY').join(''), cert: blocks(pem, 'CERTIFICATE').join('') };
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes beside the target, then renames: a reader sees the old file or the new one, never a part. */
function replaceFile(path: string, content: string, mode: number): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode, flag: 'wx' });
  renameSync(temporary, path);
}

async function ensureCa(files: LocalTlsFiles, now: number): Promise<IssuedPem> {
  let existing = readIfPresent(files.caKeyPath);
  if (existing === undefined) {
    const ca = await createLocalCa(now, new Date(now).toISOString().slice(0, 10));
    const temporary = `${files.caKeyPath}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temporary, `${ca.key}${ca.cert}`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, files.caKeyPath);
    } catch (error) {
      // Another start made its CA first: use that one.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
    existing = readFileSync(files.caKeyPath, 'utf8');
  }
  const ca = splitPem(existing);
  if (!ca.key || !ca.cert) throw new Error(`${files.caKeyPath} does not hold a private key and a certificate`);
  if (readIfPresent(files.caPath) !== ca.cert) replaceFile(files.caPath, ca.cert, 0o644);
  return ca;
}

function sanHosts(certificate: X509Certificate): string[] {
  const names = certificate.getExtension(SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  return names.map((name) => name.value).sort();
}

async function isUsable(serverPem: string | undefined, ca: IssuedPem, hosts: readonly string[], now: number) {
  const server = serverPem === undefined ? undefined : splitPem(serverPem);
  if (!server?.key || !server.cert) return false;
  try {
    const certificate = new X509Certificate(server.cert);
    return (
      certificate.notAfter.getTime() - now > RENEW_BEFORE_MS &&
      JSON.stringify(sanHosts(certificate)) === JSON.stringify([...hosts].sort()) &&
      (await certificate.verify({ publicKey: new X509Certificate(ca.cert), date: new Date(now) }))
    );
  } catch {
    // A damaged file is issued again, like an expired one.
    return false;
  }
}

/** Makes the CA if there is none and (re)issues the server certificate when needed; returns the paths. */
export async function ensureLocalTls(dir: string, hosts: readonly string[], now: number): Promise<LocalTlsFiles> {
  const files = localTlsFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(files, now);
  if (!(await isUsable(readIfPresent(files.serverPath), ca, hosts, now))) {
    const server = await issueServerCertificate(ca, hosts, now);
    replaceFile(files.serverPath, `${server.key}${server.cert}${ca.cert}`, 0o600);
  }
  return files;
}

/**
 * The value of Chromium's --ignore-certificate-errors-spki-list for a certificate: the base64 SHA-256 of its
 * SubjectPublicKeyInfo (RFC 7469 §2.4 computes the same pin).
 */
export function spkiHash(certificatePem: string): string {
  const spki = new NodeCertificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
