// Runs the example web app: `node dist/examples/web-app/server.js` (see README.md beside this file).
import { createWebApp } from './app.js';

const port = Number(process.env.PORT ?? 8080);
const baseUrl = (process.env.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
const required = (name: string) => {
  const value = process.env[name];
  if (!value) {
    console.error(`example web app: set ${name} (see examples/web-app/README.md)`);
    process.exit(1);
  }
  return value;
};

const app = createWebApp({
  issuer: process.env.ISSUER ?? 'http://localhost:3000/',
  clientId: required('CLIENT_ID'),
  clientSecret: required('CLIENT_SECRET'),
  redirectUri: `${baseUrl}/callback`,
  postLogoutRedirectUri: `${baseUrl}/`,
  audience: process.env.AUDIENCE || undefined,
  scope: process.env.SCOPE || undefined,
  apiUrl: process.env.API_URL || undefined,
});

const server = app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  console.log(`example web app on ${baseUrl}/ (issuer ${process.env.ISSUER ?? 'http://localhost:3000/'})`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
