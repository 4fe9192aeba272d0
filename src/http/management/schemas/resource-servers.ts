// A resource server (an API) as Auth0 answers it: the SDK's GetResourceServerResponseContent, closed.
import { boolean, closed, integer, object, objects, orNull, string } from './common.js';

const scope = closed({ value: string, description: string }, ['value']);

export const resourceServer = closed({
  id: string,
  name: string,
  is_system: boolean,
  identifier: string,
  scopes: { type: 'array', items: scope },
  signing_alg: string,
  signing_secret: string,
  allow_offline_access: boolean,
  allow_online_access: boolean,
  allow_online_access_with_ephemeral_sessions: boolean,
  skip_consent_for_verifiable_first_party_clients: boolean,
  token_lifetime: integer,
  token_lifetime_for_web: integer,
  enforce_policies: boolean,
  token_lifetime_for_anonymous_access_tokens: integer,
  token_dialect: string,
  token_encryption: orNull(object),
  consent_policy: orNull(string),
  authorization_details: orNull(objects),
  proof_of_possession: orNull(object),
  subject_type_authorization: object,
  authorization_policy: orNull(object),
  client_id: string,
});
