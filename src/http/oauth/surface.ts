// The OAuth surface: /oauth/token, /oauth/device/code, /oauth/revoke, /oauth/introspect, /userinfo and their CORS. Form or JSON bodies; every error is OAuth JSON.
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { endpoints } from '../../config.js';
import { CredentialCache } from '../../protocol/credential-cache.js';
import { passwordCheck } from '../../protocol/password-check.js';
import type { TokenDeps } from '../../protocol/token.js';
import type { SurfaceDeps } from '../surface.js';
import { corsRoutes } from './cors.js';
import { deviceCodeRoute } from './device-code.js';
import { oauthErrorHandler } from './errors.js';
import { introspectRoute } from './introspect.js';
import { revokeRoute } from './revoke.js';
import { tokenRoute } from './token.js';
import { userinfoRoute } from './userinfo.js';

type OAuthSurfaceDeps = Pick<
  SurfaceDeps,
  'config' | 'store' | 'keyring' | 'box' | 'passwords' | 'passwordlessKey' | 'storage' | 'audit' | 'metrics' | 'now'
>;

export function oauthSurface(deps: OAuthSurfaceDeps): FastifyPluginAsync {
  const { config, store, keyring, box, now } = deps;
  // Built once for the server's life: the token path makes no object per request (docs/benchmarks.md).
  const tokenDeps: TokenDeps = {
    stores: store,
    credentials: new CredentialCache(box),
    keyring,
    passwords: passwordCheck(deps.passwords, store.users),
    issuer: config.issuer,
    passwordlessKey: deps.passwordlessKey,
    tokenEndpoint: endpoints(config.issuer).token,
    adminClientId: config.adminClientId,
    audit: deps.audit,
    now,
  };
  const userinfoDeps = { stores: store, keyring, issuer: config.issuer, now };
  return async (oauth) => {
    oauth.removeAllContentTypeParsers();
    await oauth.register(formbody);
    oauth.addContentTypeParser('application/json', { parseAs: 'string' }, oauth.getDefaultJsonParser('error', 'error'));
    oauth.setErrorHandler(oauthErrorHandler(deps.storage));
    tokenRoute(oauth, tokenDeps, deps.metrics.tokensIssued);
    revokeRoute(oauth, tokenDeps);
    deviceCodeRoute(oauth, { ...tokenDeps, deviceCodeLifetime: config.deviceCodeLifetime });
    introspectRoute(oauth, { ...tokenDeps, keyring });
    userinfoRoute(oauth, userinfoDeps);
    corsRoutes(oauth, store.clients);
  };
}
