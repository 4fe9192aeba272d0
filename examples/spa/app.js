// The example single-page app: @auth0/auth0-spa-js, unchanged, against Gatehouse. Every action is a
// button, and also a function on window.spa that resolves to {ok: true, value} or {ok: false, error,
// error_description} (so a test, or you in the console, can call it), with the last outcome of each kept in
// window.spa.results.
import { Auth0Client } from '/auth0-spa-js.production.esm.js';

const config = await (await fetch('/config.json')).json();
const origin = window.location.origin;

function options(extra = {}) {
  return {
    // `http://localhost:3000` for a local Gatehouse: with a scheme the SDK keeps it (a bare host means https://).
    domain: config.domain,
    clientId: config.clientId,
    authorizationParams: {
      redirect_uri: `${origin}/`,
      scope: config.scope,
      ...(config.audience ? { audience: config.audience } : {}),
    },
    ...(config.authorizeTimeoutInSeconds ? { authorizeTimeoutInSeconds: config.authorizeTimeoutInSeconds } : {}),
    ...extra,
  };
}

// Silent authentication: getTokenSilently opens Gatehouse's /authorize in a hidden iframe with
// response_mode=web_message and prompt=none; tokens stay in memory (the SDK's default).
const auth0 = new Auth0Client(options());

// Refresh tokens: the SDK adds offline_access to the scope and renews through /oauth/token with the refresh
// token, which Gatehouse rotates. With no refresh token yet (or one Gatehouse refuses) it falls back to the
// iframe. Kept in localStorage so that you can watch the rotation in the browser's developer tools.
const withRefreshTokens = new Auth0Client(
  options({ useRefreshTokens: true, useRefreshTokensFallback: true, cacheLocation: 'localstorage' }),
);

/** Every message this window received: Gatehouse's web_message answers arrive here (origin, type, keys). */
const messages = [];
window.addEventListener('message', (event) => {
  const data = event.data;
  messages.push({
    origin: event.origin,
    type: data && typeof data === 'object' ? data.type : typeof data,
    keys:
      data && typeof data === 'object' && data.response && typeof data.response === 'object'
        ? Object.keys(data.response).sort()
        : undefined,
  });
});

async function outcome(promise) {
  try {
    return { ok: true, value: (await promise) ?? null };
  } catch (error) {
    return {
      ok: false,
      error: error?.error ?? error?.name ?? 'error',
      error_description: error?.error_description ?? error?.message ?? String(error),
    };
  }
}

const $ = (id) => document.getElementById(id);
const results = {};

/** Shows a result with long tokens shortened (window.spa.results keeps them whole). */
function show(name, result) {
  const short = JSON.stringify(
    result,
    (_key, value) =>
      typeof value === 'string' && value.length > 60 ? `${value.slice(0, 24)}…${value.slice(-12)}` : value,
    2,
  );
  $('output').textContent = `${name}: ${short}`;
}

async function renderStatus() {
  const user = await auth0.getUser();
  $('status').textContent = user ? `Signed in as ${user.email ?? user.sub}` : 'Not signed in';
}

async function run(name, action) {
  const result = await outcome(action());
  results[name] = result;
  show(name, result);
  await renderStatus();
  return result;
}

const tokens = (client) => client.getTokenSilently({ cacheMode: 'off', detailedResponse: true });

const actions = {
  /** To Gatehouse's login page and back here, where handleRedirectCallback picks up the code. */
  login: () => run('login', () => auth0.loginWithRedirect()),
  /** The same in a popup: the answer comes back to window.opener as a web_message. */
  popup: () => run('popup', () => auth0.loginWithPopup()),
  user: () => run('user', () => auth0.getUser()),
  /** A new access token from the hidden iframe (cacheMode 'off': never from the cache). */
  tokenSilently: () => run('tokenSilently', () => tokens(auth0)),
  /** A new access token from the refresh token (the first one comes from the iframe). */
  tokenWithRefreshToken: () => run('tokenWithRefreshToken', () => tokens(withRefreshTokens)),
  /** Forgets the tokens here, then Gatehouse's /v2/logout ends the session and comes back. */
  logout: () =>
    run('logout', async () => {
      await withRefreshTokens.logout({ openUrl: false });
      await auth0.logout({ logoutParams: { returnTo: `${origin}/` } });
    }),
};

$('login').addEventListener('click', actions.login);
$('login-popup').addEventListener('click', actions.popup);
$('get-user').addEventListener('click', actions.user);
$('token-silently').addEventListener('click', actions.tokenSilently);
$('token-refresh').addEventListener('click', actions.tokenWithRefreshToken);
$('logout').addEventListener('click', actions.logout);

async function start() {
  const query = new URLSearchParams(window.location.search);
  if ((query.has('code') || query.has('error')) && query.has('state')) {
    // Back from Gatehouse: exchange the code (PKCE) and check the ID token, then drop the parameters.
    await run('callback', () => auth0.handleRedirectCallback());
    window.history.replaceState(null, '', '/');
  } else {
    await renderStatus();
  }
}

window.spa = { ...actions, results, messages, ready: start() };
