// A regular web application that signs people in with Gatehouse, the way you would wire your own with
// Express 5 and openid-client v6: authorization code + PKCE (S256), state and nonce, a validated ID token,
// /userinfo, and both logouts. Sessions live in memory, keyed by a random HttpOnly cookie: enough for an
// example, use a real session store in production.
//
//   /             "Signed in as …" or a "Log in" link
//   /login        → Gatehouse /authorize (?prompt=login|none|consent, ?max_age=N, ?login_hint=… pass through)
//   /callback     code → tokens (ID token checked), /userinfo, then back to /
//   /profile      JSON: the ID token's claims, the userinfo answer, the granted scope
//   /call-api     calls `apiUrl` with the access token (when an audience and apiUrl are configured)
//   /logout       → Gatehouse /oidc/logout (OpenID Connect RP-Initiated Logout) with id_token_hint
//   /logout-auth0 → Gatehouse /v2/logout?client_id&returnTo (Auth0's logout)
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import * as client from 'openid-client';

export interface WebAppOptions {
  /** Gatehouse's issuer, e.g. http://localhost:3000/ */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registered in the client's callbacks, e.g. http://localhost:8080/callback */
  redirectUri: string;
  /** Registered in the client's allowed_logout_urls, e.g. http://localhost:8080/ */
  postLogoutRedirectUri: string;
  /** An API identifier: the access token is then a JWT for that API. */
  audience?: string;
  /** Default: `openid profile email`; add the API's scopes to ask for them. */
  scope?: string;
  /** An endpoint of your API that /call-api calls with the access token. */
  apiUrl?: string;
  /** Name of this app's session cookie (two apps on one host need different names). */
  cookieName?: string;
}

interface PendingLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
  maxAge?: number;
}

interface SignedIn {
  idToken: string;
  claims: client.IDToken;
  userinfo: client.UserInfoResponse;
  accessToken: string;
  scope?: string;
  expiresAt?: number;
}

interface Session {
  login?: PendingLogin;
  user?: SignedIn;
}

const escapeHtml = (value: unknown) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
${body}
</body>
</html>`;
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function createWebApp(options: WebAppOptions): express.Express {
  const cookieName = options.cookieName ?? 'web_app_session';
  const secureCookie = new URL(options.redirectUri).protocol === 'https:';
  const scope = options.scope ?? 'openid profile email';
  const sessions = new Map<string, Session>();

  // Discovery once, on first use. http:// issuers are allowed for local development only.
  let configuration: Promise<client.Configuration> | undefined;
  const config = () => {
    configuration ??= client
      .discovery(
        new URL(options.issuer),
        options.clientId,
        undefined,
        client.ClientSecretBasic(options.clientSecret),
        new URL(options.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .then((discovered) => {
        // Also check the ID token's signature against the issuer's JWKS (openid-client skips it by default
        // for tokens fetched straight from the token endpoint).
        client.enableNonRepudiationChecks(discovered);
        return discovered;
      })
      .catch((error: unknown) => {
        configuration = undefined;
        throw error;
      });
    return configuration;
  };

  function sessionOf(request: Request, response: Response): Session {
    const id = readCookie(request, cookieName);
    const existing = id ? sessions.get(id) : undefined;
    if (existing) return existing;
    const fresh: Session = {};
    const newId = randomBytes(32).toString('base64url');
    sessions.set(newId, fresh);
    response.cookie(cookieName, newId, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/' });
    return fresh;
  }

  function endLocalSession(request: Request, response: Response): Session {
    const id = readCookie(request, cookieName);
    const session = id ? sessions.get(id) : undefined;
    if (id) sessions.delete(id);
    response.clearCookie(cookieName, { path: '/' });
    return session ?? {};
  }

  const app = express();
  app.disable('x-powered-by');

  app.get('/', (request, response) => {
    const user = sessionOf(request, response).user;
    if (!user) {
      response.send(
        page(
          'Example web app',
          '<h1>Example web app</h1><p>You are not signed in.</p><p><a href="/login">Log in</a></p>',
        ),
      );
      return;
    }
    const who = user.userinfo.email ?? user.claims.email ?? user.claims.sub;
    response.send(
      page(
        'Example web app',
        `<h1>Example web app</h1>
<p id="signed-in">Signed in as ${escapeHtml(who)}</p>
<ul>
  <li><a href="/profile">Profile (ID token claims and userinfo)</a></li>
  ${options.apiUrl ? '<li><a href="/call-api">Call the API</a></li>' : ''}
  <li><a href="/logout">Log out (OpenID Connect)</a></li>
  <li><a href="/logout-auth0">Log out (Auth0 /v2/logout)</a></li>
</ul>`,
      ),
    );
  });

  app.get('/login', async (request, response) => {
    const session = sessionOf(request, response);
    const codeVerifier = client.randomPKCECodeVerifier();
    const login: PendingLogin = { codeVerifier, state: client.randomState(), nonce: client.randomNonce() };
    const parameters: Record<string, string> = {
      redirect_uri: options.redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    };
    if (options.audience) parameters.audience = options.audience;
    const { prompt, max_age, login_hint, connection } = request.query;
    // /login?connection=email: straight to that connection's page (e.g. passwordless), as Auth0's SDKs pass it on.
    if (typeof connection === 'string' && /^[\w-]{1,128}$/.test(connection)) parameters.connection = connection;
    if (typeof prompt === 'string' && /^(none|login|consent)$/.test(prompt)) parameters.prompt = prompt;
    if (typeof login_hint === 'string' && login_hint.length <= 320) parameters.login_hint = login_hint;
    if (typeof max_age === 'string' && /^\d{1,9}$/.test(max_age)) {
      parameters.max_age = max_age;
      login.maxAge = Number(max_age);
    }
    session.login = login;
    response.redirect(client.buildAuthorizationUrl(await config(), parameters).href);
  });

  app.get('/callback', async (request, response) => {
    const session = sessionOf(request, response);
    const login = session.login;
    delete session.login;
    if (!login) {
      response
        .status(400)
        .send(
          page(
            'Sign-in failed',
            '<h1>Sign-in failed</h1><p>No sign-in was in progress. <a href="/login">Log in</a></p>',
          ),
        );
      return;
    }
    try {
      const currentUrl = new URL(request.originalUrl, options.redirectUri);
      const tokens = await client.authorizationCodeGrant(await config(), currentUrl, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        maxAge: login.maxAge,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const userinfo = await client.fetchUserInfo(await config(), tokens.access_token, claims.sub);
      session.user = {
        idToken: tokens.id_token!,
        claims,
        userinfo,
        accessToken: tokens.access_token,
        scope: tokens.scope,
        expiresAt: tokens.expires_in === undefined ? undefined : Date.now() + tokens.expires_in * 1000,
      };
      response.redirect('/');
    } catch (error) {
      // An error answer from Gatehouse (e.g. login_required after prompt=none) or a failed check.
      const { error: code, error_description: description } =
        (error as { error?: string; error_description?: string }) ?? {};
      const text = code ? `${code}: ${description ?? ''}` : error instanceof Error ? error.message : String(error);
      response
        .status(400)
        .send(
          page(
            'Sign-in failed',
            `<h1>Sign-in failed</h1><p id="sign-in-error">${escapeHtml(text)}</p><p><a href="/login">Try again</a></p>`,
          ),
        );
    }
  });

  app.get('/profile', (request, response) => {
    const user = sessionOf(request, response).user;
    if (!user) {
      response.status(401).json({ error: 'not signed in' });
      return;
    }
    response.json({
      id_token_claims: user.claims,
      userinfo: user.userinfo,
      scope: user.scope,
      expires_at: user.expiresAt,
    });
  });

  app.get('/call-api', async (request, response) => {
    const user = sessionOf(request, response).user;
    if (!user || !options.apiUrl) {
      response.status(user ? 404 : 401).json({ error: user ? 'no apiUrl configured' : 'not signed in' });
      return;
    }
    const answer = await fetch(options.apiUrl, { headers: { authorization: `Bearer ${user.accessToken}` } });
    response
      .status(answer.status)
      .type(answer.headers.get('content-type') ?? 'text/plain')
      .send(await answer.text());
  });

  app.get('/logout', async (request, response) => {
    const { user } = endLocalSession(request, response);
    // RP-Initiated Logout 1.0: id_token_hint tells Gatehouse which client and session; the return URL must be
    // in the client's allowed_logout_urls.
    const parameters: Record<string, string> = { post_logout_redirect_uri: options.postLogoutRedirectUri };
    if (user) parameters.id_token_hint = user.idToken;
    response.redirect(client.buildEndSessionUrl(await config(), parameters).href);
  });

  app.get('/logout-auth0', (request, response) => {
    endLocalSession(request, response);
    const url = new URL('v2/logout', options.issuer.endsWith('/') ? options.issuer : `${options.issuer}/`);
    url.searchParams.set('client_id', options.clientId);
    url.searchParams.set('returnTo', options.postLogoutRedirectUri);
    response.redirect(url.href);
  });

  // Express 5 sends rejected promises here: say what failed without a stack trace.
  app.use((error: Error, _request: Request, response: Response, _next: express.NextFunction) => {
    response.status(500).send(page('Error', `<h1>Something went wrong</h1><p>${escapeHtml(error.message)}</p>`));
  });

  return app;
}
