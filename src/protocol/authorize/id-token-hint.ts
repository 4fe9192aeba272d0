// id_token_hint at /authorize (OIDC Core §3.1.2.1): an ID token we issued to this client (as node-oidc-provider
// checks aud), expired or not. Only the user it names may then be signed in silently.
import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { readIdTokenHint } from '../id-token-hint.js';
import type { Keyring } from '../keys/keyring.js';

/** The subject of the hint, when one was sent. */
export async function checkIdTokenHint(
  value: string | undefined,
  client: Client,
  deps: { keyring: Pick<Keyring, 'publicKeys'>; issuer: string },
): Promise<string | undefined> {
  if (!value) return undefined;
  const hint = await readIdTokenHint(value, deps.keyring, deps.issuer);
  if (!hint?.sub)
    throw new OAuthError('invalid_request', 'Invalid id_token_hint: not an ID token issued by this server');
  if (!hint.aud.includes(client.client_id))
    throw new OAuthError('invalid_request', 'Invalid id_token_hint: it was not issued to this application');
  return hint.sub;
}
