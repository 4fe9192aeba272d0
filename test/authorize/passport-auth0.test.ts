// passport-auth0 (Auth0's Passport strategy) signs Alice in to a small Express app end to end: /authorize,
// the login page, the app's callback (code redeemed with client_secret_post, the ID token's nonce checked),
// then the profile, which the strategy fetches with `GET /userinfo?access_token=…` (RFC 6750 §2.3).
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { forEachDatabase } from '../helpers/each-database.js';
import { signInTenant, users, webClient, aliceClaims } from '../helpers/fixtures.js';
import { CookieJarClient, callbackOf, logIn } from '../helpers/http-client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

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
const require = createRequire(import.meta.url);
const { Passport } = require('passport') as { Passport: new () => Authenticator };
const Auth0Strategy = require('passport-auth0') as new (options: Record<string, unknown>, verify: Verify) => unknown;
const session = require('express-session') as (options: Record<string, unknown>) => RequestHandler;

const CLIENT_SECRET = 'passport-secret-0123456789-abcdefghijklmnopq';

forEachDatabase('passport-auth0 signs a person in to an Express app', (db) => {
  let gatehouse: RunningGatehouse;
  let app: Server;
  let appUrl: string;
  const logs = captureLogs('info');
  /** The access tokens the strategy received, to look for them in Gatehouse's log. */
  const accessTokens: string[] = [];

  before(async () => {
    // The app listens first: its callback goes into the tenant file, and Gatehouse's URL into the strategy.
    const web = express();
    app = web.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => app.once('listening', resolve).once('error', reject));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    gatehouse = await startGatehouse({
      databaseUrl: db().url,
      logger: logs.logger,
      tenant: signInTenant({
        clients: [
          // node-oauth sends the client's secret in the body (client_secret_post).
          webClient({
            client_id: 'passport-app',
            client_secret: CLIENT_SECRET,
            name: 'Passport app',
            token_endpoint_auth_method: 'client_secret_post',
            callbacks: [`${appUrl}/callback`],
          }),
        ],
      }),
    });

    const passport = new Passport();
    // passport-auth0 builds https://<domain>/… URLs; its options override each one, as passport-oauth2's do.
    passport.use(
      new Auth0Strategy(
        {
          domain: new URL(gatehouse.issuer).host,
          clientID: 'passport-app',
          clientSecret: CLIENT_SECRET,
          callbackURL: `${appUrl}/callback`,
          authorizationURL: gatehouse.url('/authorize'),
          tokenURL: gatehouse.url('/oauth/token'),
          userInfoURL: gatehouse.url('/userinfo'),
          expectedIssuer: gatehouse.issuer,
        },
        (accessToken, _refreshToken, _params, profile, done) => {
          accessTokens.push(accessToken);
          done(null, profile);
        },
      ),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user, done) => done(null, user));
    web.use(session({ secret: 'passport-app-session-secret', resave: false, saveUninitialized: false }));
    web.use(passport.initialize(), passport.session());
    web.get('/login', passport.authenticate('auth0', { scope: 'openid email profile' }));
    web.get('/callback', passport.authenticate('auth0'), (_request, response) => response.redirect('/profile'));
    web.get('/profile', (request: Request, response: Response) => {
      const user = (request as Request & { user?: unknown }).user;
      if (user) response.json(user);
      else response.status(401).json({ error: 'not signed in' });
    });
    // The strategy's errors ("failed to fetch user profile", an ID token it refuses) become a readable answer.
    web.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
      response.status(500).json({ error: error.message });
    });
  });

  after(async () => {
    app?.closeAllConnections();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
    await gatehouse?.close();
  });

  test("/login → /authorize → login page → /callback → /profile holds the profile built from Alice's /userinfo", async () => {
    const browser = new CookieJarClient(gatehouse);
    const start = await browser.get(`${appUrl}/login`);
    assert.equal(start.status, 302, start.text);
    const authorize = new URL(start.location!);
    assert.equal(`${authorize.origin}${authorize.pathname}`, gatehouse.url('/authorize'));
    assert.ok(authorize.searchParams.get('nonce'), 'passport-auth0 sends a nonce with openid');

    const callback = await callbackOf(browser, await logIn(browser, authorize, users.alice.email));
    assert.equal(`${callback.origin}${callback.pathname}`, `${appUrl}/callback`);
    const signedIn = await browser.get(callback);
    assert.equal(signedIn.status, 302, signedIn.text);
    assert.equal(signedIn.location, '/profile');

    const page = await browser.get(`${appUrl}/profile`);
    assert.equal(page.status, 200, page.text);
    const { _raw: raw, ...profile } = JSON.parse(page.text) as Record<string, unknown>;
    const stored = (await gatehouse.gatehouse.store.users.get(users.alice.user_id))!;
    const claims = aliceClaims(stored.updated_at);
    assert.deepEqual(profile, {
      displayName: 'Alice Liddell',
      id: users.alice.user_id,
      user_id: users.alice.user_id,
      provider: 'auth0',
      name: { familyName: 'Liddell', givenName: 'Alice' },
      emails: [{ value: users.alice.email }],
      picture: 'https://img.acme.test/alice.png',
      nickname: 'alice',
      _json: claims,
    });
    assert.deepEqual(JSON.parse(raw as string), claims);
  });

  test('the strategy fetched the profile with the token in the query, which the log shows redacted', () => {
    const userinfoRequests = logs.lines
      .map((line) => line.req as { method?: string; url?: string } | undefined)
      .filter((req) => req?.url?.startsWith('/userinfo'));
    assert.deepEqual(
      userinfoRequests.map((req) => `${req?.method} ${req?.url}`),
      ['GET /userinfo?access_token=%5Bredacted%5D'],
    );
    assert.equal(accessTokens.length, 1);
    assert.ok(!JSON.stringify(logs.lines).includes(accessTokens[0]), 'the access token reached the log');
  });
});
