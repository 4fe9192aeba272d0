// A single-page app exactly as it would be written for Auth0: auth0-spa-js with a domain and a client id.
import { createAuth0Client } from '/auth0-spa-js.js';

const config = await (await fetch('/config.json')).json();
const auth0 = await createAuth0Client({
  domain: config.domain,
  clientId: config.clientId,
  authorizationParams: { redirect_uri: `${location.origin}/`, audience: config.audience, scope: 'openid profile email read:items' },
});
const show = (id, text) => {
  document.getElementById(id).textContent = text;
};

try {
  if (new URLSearchParams(location.search).has('code')) {
    await auth0.handleRedirectCallback();
    history.replaceState(null, '', '/');
  }
  if (await auth0.isAuthenticated()) {
    const user = await auth0.getUser();
    // The access token for the API: what the app would send as `Authorization: Bearer …`.
    window.accessToken = await auth0.getTokenSilently();
    show('user', `Signed in as ${user.email}`);
    document.getElementById('logout').hidden = false;
  } else {
    document.getElementById('login').hidden = false;
  }
} catch (error) {
  show('error', `${error.error ?? error.name}: ${error.error_description ?? error.message}`);
}
document.getElementById('login').onclick = () => auth0.loginWithRedirect();
document.getElementById('logout').onclick = () => auth0.logout({ logoutParams: { returnTo: `${location.origin}/` } });
