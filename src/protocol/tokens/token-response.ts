// RFC 6749 §5.1: the successful token response, as /oauth/token and the implicit and hybrid flows send it.
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}
