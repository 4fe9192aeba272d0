// Run by test/https/auth0-sdks.test.ts as a child process whose only link to Gatehouse's certificate is
// NODE_EXTRA_CA_CERTS (Node reads it at start): Auth0's SDKs exactly as an app configures them, with the
// domain and nothing else. Prints one JSON line of what the calls returned; any failure exits 1 with the
// SDK's error on stderr.
//
//   node sdk-client.js authentication|database|management|passport '<input JSON>'
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { ManagementClient } from 'auth0';
import { AuthenticationClient } from 'auth0/legacy';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { decodeJwt } from 'jose';
import { CookieJarClient, callbackOf, logIn } from '../helpers/http-client.js';

export interface SdkInput {
  domain: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  audience: string;
  /** passport: the app's port, registered as its callback. */
  appPort?: number;
}

async function authentication(input: SdkInput) {
  const sdk = new AuthenticationClient({
    domain: input.domain,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
  });
  // The SDK checks the ID token itself: signature by the JWKS it downloads, iss `https://<domain>/`, aud, nonce.
  const password = await sdk.oauth.passwordGrant({
    username: input.username,
    password: input.password,
    audience: input.audience,
    scope: 'openid email offline_access read:items',
  });
  const refreshed = await sdk.oauth.refreshTokenGrant({ refresh_token: password.data.refresh_token! });
  await sdk.oauth.revokeRefreshToken({ token: refreshed.data.refresh_token ?? password.data.refresh_token! });
  const machine = await sdk.oauth.clientCredentialsGrant({ audience: input.audience });
  return {
    idTokenIss: decodeJwt(password.data.id_token!).iss,
    idTokenEmail: decodeJwt(password.data.id_token!).email,
    refreshedSub: decodeJwt(refreshed.data.id_token!).sub,
    machineGty: decodeJwt(machine.data.access_token).gty,
  };
}

/** The calls that make Gatehouse send a message: sign-up, a password-reset e-mail, a passwordless code. */
async function database(input: SdkInput) {
  const sdk = new AuthenticationClient({
    domain: input.domain,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
  });
  const connection = 'Username-Password-Authentication';
  const signedUp = await sdk.database.signUp({ email: input.username, password: input.password, connection });
  const changed = await sdk.database.changePassword({ email: input.username, connection });
  const sent = await sdk.passwordless.sendEmail({ email: input.username, send: 'code' });
  return { signedUpEmail: signedUp.data.email, changeStatus: changed.status, passwordlessStatus: sent.status };
}

async function management(input: SdkInput) {
  // The SDK gets its own token: client_credentials for the audience `https://<domain>/api/v2/`.
  const admin = new ManagementClient({
    domain: input.domain,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
  });
  const created = await admin.users.create({
    connection: 'Username-Password-Authentication',
    email: input.username,
    password: input.password,
  });
  const read = await admin.users.get(created.user_id!);
  const self = await admin.clients.get(input.clientId);
  return { email: read.email, clientName: self.name };
}

// passport, passport-auth0 and express-session ship no types: the few members the app uses.
type Done = (error: unknown, value?: unknown) => void;
interface Authenticator {
  use(strategy: unknown): void;
  initialize(): RequestHandler;
  session(): RequestHandler;
  authenticate(name: string, options?: Record<string, unknown>): RequestHandler;
  serializeUser(fn: (user: unknown, done: Done) => void): void;
  deserializeUser(fn: (user: unknown, done: Done) => void): void;
}
type Verify = (accessToken: string, refreshToken: string, params: unknown, profile: unknown, done: Done) => void;

async function passport(input: SdkInput) {
  const require = createRequire(import.meta.url);
  const { Passport } = require('passport') as { Passport: new () => Authenticator };
  const Auth0Strategy = require('passport-auth0') as new (options: Record<string, unknown>, verify: Verify) => unknown;
  const session = require('express-session') as (options: Record<string, unknown>) => RequestHandler;
  const appUrl = `http://127.0.0.1:${input.appPort}`;
  const authenticator = new Passport();
  // Only what Auth0's quickstart sets: no authorizationURL, tokenURL, userInfoURL or expectedIssuer.
  authenticator.use(
    new Auth0Strategy(
      {
        domain: input.domain,
        clientID: input.clientId,
        clientSecret: input.clientSecret,
        callbackURL: `${appUrl}/callback`,
      },
      (_accessToken, _refreshToken, _params, profile, done) => done(null, profile),
    ),
  );
  authenticator.serializeUser((user, done) => done(null, user));
  authenticator.deserializeUser((user, done) => done(null, user));
  const web = express();
  web.use(session({ secret: 'passport-app-session-secret', resave: false, saveUninitialized: false }));
  web.use(authenticator.initialize(), authenticator.session());
  web.get('/login', authenticator.authenticate('auth0', { scope: 'openid email profile' }));
  web.get('/callback', authenticator.authenticate('auth0'), (_request, response) => response.redirect('/profile'));
  web.get('/profile', (request: Request, response: Response) => {
    response.json((request as Request & { user?: unknown }).user ?? null);
  });
  web.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
    response.status(500).json({ error: error.message });
  });
  const app = web.listen(input.appPort!, '127.0.0.1');
  await new Promise<void>((resolve, reject) => app.once('listening', resolve).once('error', reject));
  try {
    const issuer = `https://${input.domain}/`;
    const browser = new CookieJarClient({ issuer, url: (path) => new URL(path.replace(/^\//, ''), issuer).toString() });
    const start = await browser.get(`${appUrl}/login`);
    const authorize = new URL(start.location!);
    const posted = await logIn(browser, authorize, input.username);
    const callback = await callbackOf(browser, posted);
    const signedIn = await browser.get(callback);
    const profile = await browser.get(`${appUrl}/profile`);
    return {
      authorizeOrigin: authorize.origin,
      callbackStatus: signedIn.status,
      callbackLocation: signedIn.location,
      profile: JSON.parse(profile.text) as { id?: string; emails?: { value: string }[] },
      port: (app.address() as AddressInfo).port,
      loginCookies: posted.setCookies,
    };
  } finally {
    app.closeAllConnections();
    app.close();
  }
}

const scenarios = { authentication, database, management, passport } as const;
const [name, json] = process.argv.slice(2) as [keyof typeof scenarios, string];
scenarios[name](JSON.parse(json) as SdkInput).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.stderr.write(`${JSON.stringify(error)}\n`);
    process.exitCode = 1;
  },
);
