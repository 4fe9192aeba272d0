// The Gatehouse these tests run against (`npx gatehouse start --test --https --bootstrap tenant.json`) and its
// test API. AUTH0_DOMAIN is what the apps give their Auth0 SDKs; Node trusts Gatehouse's local certificate
// authority through NODE_EXTRA_CA_CERTS, set before node starts.
export const domain = process.env.AUTH0_DOMAIN ?? 'localhost:3000';
export const issuer = `https://${domain}/`;
export const API = 'https://api.example.test';
export const BACKEND = { client_id: 'example-backend', client_secret: 'example-backend-secret-0123456789abcdefghij' };

async function call(method, path, body) {
  const response = await fetch(new URL(path, issuer), {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Back to the tenant of tenant.json: no users, sessions, tokens or messages but those it defines. */
export const reset = () => call('POST', '/test/reset');
/** A user of the database connection, created at once; the answer is the user as the Management API shows it. */
export const createUser = (email, password) => call('POST', '/test/users', { email, password });
/** The e-mails and text messages sent to `to`, oldest first, each with its `link` and `code`. */
export const outbox = async (to) => (await call('GET', `/test/outbox?to=${encodeURIComponent(to)}`)).messages;
/** Moves Gatehouse's clock forward: codes, sessions and tokens expire by it, new tokens are dated by it. */
export const advanceClock = (seconds) => call('POST', '/test/clock', { seconds });
/** Gatehouse's time: `now_ms`, and `offset_seconds` from the machine's. */
export const clock = () => call('GET', '/test/clock');

/** POST /oauth/token; the JSON answer, or an error with Gatehouse's error code. */
export async function token(parameters) {
  const response = await fetch(new URL('/oauth/token', issuer), { method: 'POST', body: new URLSearchParams(parameters) });
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.error}: ${body.error_description}`);
  return body;
}
