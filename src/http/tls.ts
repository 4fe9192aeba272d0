// The certificate a worker serves over HTTPS (docs/https.md): the local CA's server file, or the operator's
// PEM files. Read at listen and again on SIGHUP, when Node's setSecureContext swaps it for new handshakes
// while open connections carry on with the one they began with.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { TlsSettings } from '../config.js';
import { localTlsFiles, splitPem } from '../crypto/local-tls.js';

export interface ServedCertificate {
  key: string;
  cert: string;
}

/** Reads and checks the key and certificate chain (createSecureContext throws on a pair that does not match). */
export function readServedCertificate(tls: TlsSettings): ServedCertificate {
  const served =
    tls.mode === 'auto'
      ? splitPem(readFileSync(localTlsFiles(tls.dir).serverPath, 'utf8'))
      : { cert: readFileSync(tls.certPath, 'utf8'), key: readFileSync(tls.keyPath, 'utf8') };
  createSecureContext(served);
  return served;
}

/** SIGHUP: serve the files' current certificate from the next handshake on; keep the old one if they are unusable. */
export function reloadServedCertificate(server: Server, tls: TlsSettings, logger: FastifyBaseLogger): void {
  try {
    server.setSecureContext(readServedCertificate(tls));
    logger.info('TLS certificate reloaded');
  } catch (error) {
    logger.error({ err: error }, 'TLS certificate not reloaded: still serving the previous one');
  }
}
