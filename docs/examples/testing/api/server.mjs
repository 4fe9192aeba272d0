// An Express API protected by express-oauth2-jwt-bearer, configured as for an Auth0 tenant.
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

export function createApi({ issuerBaseURL, audience = 'https://api.example.test' }) {
  const app = express();
  // Every route needs a valid access token for this API: signature (Gatehouse's JWKS), iss, aud, exp.
  app.use(auth({ issuerBaseURL, audience }));
  app.get('/items', requiredScopes('read:items'), (request, response) => {
    response.json({ items: ['apple', 'pear'], sub: request.auth.payload.sub });
  });
  app.post('/items', requiredScopes('write:items'), (_request, response) => {
    response.status(201).json({ created: true });
  });
  // The library's errors carry the status (401, 403) and the WWW-Authenticate header of RFC 6750 §3.
  app.use((error, _request, response, _next) => {
    response.status(error.status ?? 500).set(error.headers ?? {}).json({ error: error.code ?? 'server_error' });
  });
  return app;
}
