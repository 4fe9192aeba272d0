// The tenant's settings, branding, e-mail templates, tickets and jobs as Auth0 answers them (the SDK's
// GetTenantSettingsResponseContent, closed; GetBrandingResponseContent, open; GetEmailTemplateResponseContent,
// closed; the ticket and job answers, open).
import { boolean, closed, integer, number, object, open, orNull, string, strings } from './common.js';

export const tenantSettings = closed({
  change_password: orNull(object),
  guardian_mfa_page: orNull(object),
  default_audience: string,
  default_directory: string,
  error_page: orNull(object),
  device_flow: orNull(object),
  default_token_quota: orNull(object),
  flags: object,
  friendly_name: string,
  picture_url: string,
  support_email: string,
  support_url: string,
  allowed_logout_urls: strings,
  session_lifetime: number,
  idle_session_lifetime: number,
  ephemeral_session_lifetime: number,
  idle_ephemeral_session_lifetime: number,
  sandbox_version: string,
  legacy_sandbox_version: string,
  sandbox_versions_available: strings,
  default_redirection_uri: string,
  enabled_locales: strings,
  security_headers: orNull(object),
  session_cookie: orNull(object),
  sessions: orNull(object),
  oidc_logout: object,
  allow_organization_name_in_authentication_api: boolean,
  customize_mfa_in_postlogin_action: boolean,
  acr_values_supported: orNull(strings),
  mtls: orNull(object),
  pushed_authorization_requests_supported: boolean,
  authorization_response_iss_parameter_supported: orNull(boolean),
  skip_non_verifiable_callback_uri_confirmation_prompt: orNull(boolean),
  resource_parameter_profile: string,
  client_id_metadata_document_supported: boolean,
  phone_consolidated_experience: boolean,
  enable_ai_guide: boolean,
  include_session_metadata_in_tenant_logs: boolean,
  dynamic_client_registration_security_mode: string,
  country_codes: object,
});

export const branding = open({
  colors: open({ primary: string, page_background: { type: ['string', 'object'] } }),
  favicon_url: string,
  logo_url: string,
  font: open({ url: string }),
});

/** GetUniversalLoginTemplate: the page template. */
export const loginTemplate = closed({ body: string });

export const emailTemplate = closed({
  template: string,
  body: orNull(string),
  from: orNull(string),
  resultUrl: orNull(string),
  subject: orNull(string),
  syntax: orNull(string),
  urlLifetimeInSeconds: orNull(integer),
  includeEmailInRedirect: boolean,
  enabled: orNull(boolean),
});

/** ChangePasswordTicketResponseContent and VerifyEmailTicketResponseContent. */
export const ticket = open({ ticket: string }, ['ticket']);

/** CreateVerificationEmailResponseContent. */
export const job = open({ status: string, type: string, created_at: string, id: string }, ['status', 'type', 'id']);
