// Consent (Auth0 docs: "User Consent and Third-Party Applications",
// /docs/get-started/applications/third-party-applications/user-consent-and-third-party-applications): third-party
// clients, and APIs that do not skip consent for first-party clients, list what they ask for; an Accept is stored per
// user, client and audience; a new scope asks again; prompt=consent always asks. Every first-party client is verifiable
// (no forced consent for localhost): docs/sign-in.md "Consent".
import type { Client, ResourceServerScope, Stores, User } from '../../store/types.js';
import { oidcScopes } from '../tokens/user-tokens.js';
import type { AuthorizeRequest } from './request.js';

const OIDC_SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm your identity',
  profile: 'Your profile: name, nickname and picture',
  email: 'Your email address',
  offline_access: 'Stay signed in when you are not using the application',
};

export interface ConsentDeps {
  stores: Pick<Stores, 'resourceServers' | 'consents'>;
}

/** The scopes of a request that consent covers, with descriptions: OIDC ones and those the API defines. */
export async function consentableScopes(request: AuthorizeRequest, deps: ConsentDeps): Promise<ResourceServerScope[]> {
  const api = request.audience ? await deps.stores.resourceServers.getByIdentifier(request.audience) : undefined;
  const out: ResourceServerScope[] = [];
  for (const value of request.scope) {
    if ([...oidcScopes, 'offline_access'].includes(value))
      out.push({ value, description: OIDC_SCOPE_DESCRIPTIONS[value] });
    else {
      const defined = api?.scopes.find((s) => s.value === value);
      if (defined) out.push({ value, description: defined.description || value });
    }
  }
  return out;
}

/** The scopes the user must still accept; empty when no consent page is needed. */
export async function scopesToConsent(
  request: AuthorizeRequest,
  client: Client,
  user: User,
  force: boolean,
  deps: ConsentDeps,
) {
  const api = request.audience ? await deps.stores.resourceServers.getByIdentifier(request.audience) : undefined;
  const required =
    !client.is_first_party || (api !== undefined && !api.skip_consent_for_verifiable_first_party_clients);
  if (!required && !force) return [];
  const scopes = await consentableScopes(request, deps);
  if (force) return scopes;
  const accepted = await deps.stores.consents.scopes(user.user_id, client.client_id, request.audience ?? '');
  return scopes.filter((s) => !accepted.includes(s.value));
}
