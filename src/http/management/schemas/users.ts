// A user as Auth0 answers it (the SDK's GetUserResponseContent: open, its app_metadata and user_metadata open
// objects), a user's consents (UserGrant, closed) and brute-force blocks (UserBlockIdentifier, open).
import { boolean, closed, integer, object, open, string, strings } from './common.js';

const identity = open({
  connection: string,
  user_id: string,
  provider: string,
  isSocial: boolean,
  access_token: string,
  access_token_secret: string,
  refresh_token: string,
  profileData: object,
});

export const user = {
  ...open({
    user_id: string,
    email: string,
    email_verified: boolean,
    username: string,
    phone_number: string,
    phone_verified: boolean,
    created_at: string,
    updated_at: string,
    identities: { type: 'array', items: identity },
    app_metadata: object,
    user_metadata: object,
    picture: string,
    name: string,
    nickname: string,
    multifactor: strings,
    multifactor_last_modified: string,
    last_ip: string,
    last_login: string,
    last_password_reset: string,
    logins_count: integer,
    blocked: boolean,
    given_name: string,
    family_name: string,
  }),
  // Open as Auth0's is, but never with the password's hash.
  not: { required: ['password_hash'] },
} as const;

export const userGrant = closed({
  id: string,
  clientID: string,
  user_id: string,
  audience: string,
  scope: strings,
  organization_id: string,
});

export const userBlocks = closed(
  { blocked_for: { type: 'array', items: open({ identifier: string, ip: string, connection: string }) } },
  ['blocked_for'],
);
