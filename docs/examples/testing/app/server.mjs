// Serves the example app: its page, its script, auth0-spa-js's browser bundle and /config.json.
//
//   AUTH0_DOMAIN=localhost:3000 node app/server.mjs     (http://localhost:8080/)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = dirname(createRequire(import.meta.url).resolve('@auth0/auth0-spa-js/package.json'));

export function startApp({ port = 8080, domain = 'localhost:3000', clientId = 'example-spa', audience = 'https://api.example.test' } = {}) {
  const files = {
    '/': ['text/html', () => readFileSync(join(here, 'index.html'))],
    '/app.js': ['text/javascript', () => readFileSync(join(here, 'app.js'))],
    '/auth0-spa-js.js': ['text/javascript', () => readFileSync(join(sdkDir, 'dist/auth0-spa-js.production.esm.js'))],
    '/config.json': ['application/json', () => JSON.stringify({ domain, clientId, audience })],
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url, 'http://localhost').pathname];
    if (!file) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': file[0] }).end(file[1]());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startApp({ port: Number(process.env.PORT ?? 8080), domain: process.env.AUTH0_DOMAIN });
  console.log(`The example app is on http://localhost:${server.address().port}/`);
}
