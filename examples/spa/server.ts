// Serves the example single-page app (examples/spa: index.html, app.js) and the browser bundle of
// @auth0/auth0-spa-js from node_modules, plus /config.json telling the page which Gatehouse to use. Nothing
// here knows about OAuth: the SDK in the browser does it all, exactly as it would against Auth0.
//
//   node dist/examples/spa/server.js     (PORT, DOMAIN, CLIENT_ID, AUDIENCE: see README.md beside this file)
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface SpaOptions {
  port: number;
  /** Listen address; the page is always opened as http://localhost:<port>. Default 127.0.0.1. */
  host?: string;
  /**
   * Gatehouse as auth0-spa-js's `domain`. A bare host gets https:// from the SDK; for a local http
   * issuer pass the scheme: `http://localhost:3000` (the SDK then expects `iss` = `http://localhost:3000/`).
   */
  domain: string;
  clientId: string;
  /** An API identifier: access tokens are then JWTs for that API. */
  audience?: string;
  /** Default `openid profile email` (auth0-spa-js adds `offline_access` when it uses refresh tokens). */
  scope?: string;
  /** How long the SDK waits for a web_message answer (hidden iframe, popup); the SDK's default is 60. */
  authorizeTimeoutInSeconds?: number;
}

export interface RunningSpa {
  /** http://localhost:<port>: the app's origin (a web origin of the client), its callback is `${origin}/`. */
  origin: string;
  close(): Promise<void>;
}

/** The folder holding index.html and app.js: beside this file when run from source, else in the repository. */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, join(here, '../../../examples/spa')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`example SPA: index.html not found in ${candidates.join(' or ')}`);
  return found;
}

/** node_modules/@auth0/auth0-spa-js/dist/: the SDK's prebuilt browser bundles. */
function sdkDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@auth0/auth0-spa-js/package.json')), 'dist');
}

const SDK_BUNDLE = 'auth0-spa-js.production.esm.js';

export async function startSpa(options: SpaOptions): Promise<RunningSpa> {
  const origin = `http://localhost:${options.port}`;
  const domainUrl = /^https?:\/\//.test(options.domain) ? options.domain : `https://${options.domain}`;
  const issuerOrigin = new URL(domainUrl).origin;
  const dir = staticDir();
  const sdk = sdkDir();
  const config = JSON.stringify({
    domain: options.domain,
    clientId: options.clientId,
    audience: options.audience,
    scope: options.scope ?? 'openid profile email',
    authorizeTimeoutInSeconds: options.authorizeTimeoutInSeconds,
  });
  // What an auth0-spa-js app needs from its CSP: fetch to the token endpoint, and frame the issuer for
  // silent authentication (web_message in a hidden iframe).
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ${issuerOrigin}`,
    `frame-src ${issuerOrigin}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  const files: Record<string, (() => { type: string; body: string | Buffer }) | undefined> = {
    '/': () => ({ type: 'text/html; charset=utf-8', body: readFileSync(join(dir, 'index.html')) }),
    '/app.js': () => ({ type: 'text/javascript; charset=utf-8', body: readFileSync(join(dir, 'app.js')) }),
    [`/${SDK_BUNDLE}`]: () => ({ type: 'text/javascript; charset=utf-8', body: readFileSync(join(sdk, SDK_BUNDLE)) }),
    [`/${SDK_BUNDLE}.map`]: () => ({ type: 'application/json', body: readFileSync(join(sdk, `${SDK_BUNDLE}.map`)) }),
    '/config.json': () => ({ type: 'application/json', body: config }),
  };
  files['/index.html'] = files['/'];

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', origin).pathname;
    const file = Object.hasOwn(files, path) ? files[path] : undefined;
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response
        .writeHead(file ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(file ? 'Method Not Allowed' : 'Not Found');
      return;
    }
    const { type, body } = file();
    response.writeHead(200, {
      'content-type': type,
      'cache-control': 'no-store',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Run directly: a server for a person trying it by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3001);
  const clientId = process.env.CLIENT_ID;
  if (!clientId) {
    console.error('example SPA: set CLIENT_ID (see examples/spa/README.md)');
    process.exit(1);
  }
  const domain = process.env.DOMAIN ?? 'http://localhost:3000';
  const spa = await startSpa({
    port,
    host: process.env.HOST,
    domain,
    clientId,
    audience: process.env.AUDIENCE || undefined,
    scope: process.env.SCOPE || undefined,
  });
  console.log(`example SPA on ${spa.origin}/ (domain ${domain}, client ${clientId})`);
  const stop = () => void spa.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
