// One error type for the whole protocol. The HTTP status comes from the code (RFC 6749 §5.2; Auth0's where SDKs match on it),
// never from the throw site; `description` is public, `cause` is for the log only.

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unauthorized'
  | 'too_many_attempts'
  | 'too_many_requests'
  | 'invalid_token'
  | 'unsupported_response_type'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

const statuses: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 403,
  unauthorized_client: 403,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unauthorized: 401,
  too_many_attempts: 429,
  too_many_requests: 429,
  invalid_token: 401,
  unsupported_response_type: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  // RFC 8628 §3.5's polling answers, with Auth0's statuses (Auth0 docs: "Call Your API Using the Device
  // Authorization Flow", token responses).
  authorization_pending: 403,
  slow_down: 429,
  expired_token: 403,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  /** Extra response headers the error needs (WWW-Authenticate when Basic was used). */
  readonly headers: Record<string, string>;

  constructor(
    code: OAuthErrorCode,
    description: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.name = 'OAuthError';
    this.code = code;
    this.description = description;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return statuses[this.code];
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export const missingParameter = (name: string) =>
  new OAuthError('invalid_request', `Missing required parameter: ${name}`);
