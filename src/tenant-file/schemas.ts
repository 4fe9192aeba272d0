// JSON schemas for objects in Auth0's Management API v2 shape. The tenant file is validated with them
// now; the /api/v2 routes declare the same schemas.
import { emailTemplateNames } from '../delivery/messages.js';
import { appTypes, credentialAlgs, signingAlgs, tokenDialects, tokenEndpointAuthMethods } from '../store/types.js';

const string = (minLength = 1, maxLength = 2048) => ({ type: 'string', minLength, maxLength }) as const;
const strings = { type: 'array', items: string() } as const;
const seconds = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const;

const nullableObject = { type: ['object', 'null'] } as const;
const nullableBoolean = { type: ['boolean', 'null'] } as const;
const text = { type: 'string', maxLength: 2048 } as const;
const minutes = { type: 'integer', minimum: 1, maximum: 525600 } as const;

/**
 * Auth0's tenant settings that Gatehouse stores without effect, by name, with the type Auth0's schema gives
 * (/api/v2/tenants/settings and the tenant file's `tenant`).
 */
export const tenantInertFields = {
  change_password: nullableObject,
  device_flow: nullableObject,
  guardian_mfa_page: nullableObject,
  error_page: nullableObject,
  default_token_quota: nullableObject,
  flags: { type: 'object' },
  ephemeral_session_lifetime: { type: 'number', minimum: 0 },
  idle_ephemeral_session_lifetime: { type: 'number', minimum: 0 },
  ephemeral_session_lifetime_in_minutes: minutes,
  idle_ephemeral_session_lifetime_in_minutes: minutes,
  sandbox_version: text,
  legacy_sandbox_version: text,
  default_redirection_uri: text,
  enabled_locales: { type: 'array', items: { type: 'string', maxLength: 16 } },
  security_headers: nullableObject,
  session_cookie: nullableObject,
  sessions: nullableObject,
  oidc_logout: { type: 'object' },
  customize_mfa_in_postlogin_action: nullableBoolean,
  allow_organization_name_in_authentication_api: nullableBoolean,
  acr_values_supported: { type: ['array', 'null'], items: { type: 'string' } },
  mtls: nullableObject,
  pushed_authorization_requests_supported: nullableBoolean,
  authorization_response_iss_parameter_supported: nullableBoolean,
  skip_non_verifiable_callback_uri_confirmation_prompt: nullableBoolean,
  resource_parameter_profile: text,
  client_id_metadata_document_supported: { type: 'boolean' },
  enable_ai_guide: { type: 'boolean' },
  phone_consolidated_experience: { type: 'boolean' },
  include_session_metadata_in_tenant_logs: { type: 'boolean' },
  dynamic_client_registration_security_mode: text,
  country_codes: nullableObject,
} as const;

export const tenantSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    friendly_name: string(1, 256),
    default_audience: string(),
    default_directory: string(1, 128),
    session_lifetime: { type: 'number', minimum: 1, maximum: 8760 },
    idle_session_lifetime: { type: 'number', minimum: 1, maximum: 8760 },
    support_email: string(),
    support_url: string(),
    picture_url: string(),
    allowed_logout_urls: strings,
    ...tenantInertFields,
  },
} as const;

const object = { type: 'object' } as const;
const boolean = { type: 'boolean' } as const;

// Auth0 fields that Gatehouse accepts, stores and returns without acting on them (docs/management-api.md,
// "Stored without effect"), typed as Auth0's Management API v2 schema types them. Fields whose silent
// absence of effect would weaken security (encryption keys, PAR or DPoP requirements, token encryption,
// consent policies) are not among them: they are refused, as fields Auth0 does not have are.
export const clientInertFields = {
  oidc_conformant: boolean,
  sso: boolean,
  sso_disabled: boolean,
  custom_login_page_on: boolean,
  custom_login_page: string(0, 100000),
  custom_login_page_preview: string(0, 100000),
  form_template: string(0, 100000),
  // Auth0: at most 10 keys, each value a string of up to 255 characters.
  client_metadata: {
    type: 'object',
    maxProperties: 10,
    propertyNames: { maxLength: 255 },
    additionalProperties: { type: 'string', maxLength: 255 },
  },
  addons: object,
  mobile: object,
  native_social_login: object,
  initiate_login_uri: string(0, 2048),
  organization_usage: { enum: ['deny', 'allow', 'require'] },
  organization_require_behavior: { enum: ['no_prompt', 'pre_login_prompt', 'post_login_prompt'] },
  cross_origin_loc: string(0, 2048),
  allowed_clients: strings,
  client_aliases: strings,
} as const;

export const resourceServerInertFields = {
  allow_online_access: boolean,
  authorization_details: { type: 'array', items: object },
} as const;

export const connectionInertFields = {
  display_name: string(1, 128),
  is_domain_connection: boolean,
  show_as_button: boolean,
  realms: strings,
  metadata: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 255 } },
} as const;

export const resourceServerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['identifier'],
  properties: {
    identifier: string(1, 600),
    name: string(1, 200),
    scopes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['value'],
        properties: { value: { type: 'string', pattern: '^[^\\s]{1,280}$' }, description: string(0, 500) },
      },
    },
    signing_alg: { enum: signingAlgs },
    token_lifetime: seconds(2592000),
    token_lifetime_for_web: seconds(86400),
    allow_offline_access: { type: 'boolean' },
    skip_consent_for_verifiable_first_party_clients: { type: 'boolean' },
    enforce_policies: { type: 'boolean' },
    token_dialect: { enum: tokenDialects },
    ...resourceServerInertFields,
  },
} as const;

const credentialSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['credential_type', 'pem', 'alg'],
  properties: {
    credential_type: { const: 'public_key' },
    name: string(0, 128),
    pem: string(1, 16384),
    alg: { enum: credentialAlgs },
    kid: string(1, 256),
  },
} as const;

export const clientSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['client_id'],
  properties: {
    client_id: { type: 'string', pattern: '^[A-Za-z0-9._~@-]{1,128}$' },
    client_secret: string(32, 512),
    name: string(1, 256),
    description: string(0, 1024),
    app_type: { enum: appTypes },
    token_endpoint_auth_method: { enum: tokenEndpointAuthMethods },
    grant_types: { type: 'array', uniqueItems: true, items: { type: 'string' } },
    callbacks: strings,
    allowed_logout_urls: strings,
    web_origins: strings,
    allowed_origins: strings,
    cross_origin_authentication: { type: 'boolean' },
    is_first_party: { type: 'boolean' },
    is_token_endpoint_ip_header_trusted: { type: 'boolean' },
    logo_uri: string(),
    refresh_token: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rotation_type: { enum: ['rotating', 'non-rotating'] },
        expiration_type: { enum: ['expiring', 'non-expiring'] },
        token_lifetime: seconds(157788000),
        idle_token_lifetime: seconds(157788000),
        infinite_token_lifetime: { type: 'boolean' },
        infinite_idle_token_lifetime: { type: 'boolean' },
        leeway: { type: 'integer', minimum: 0, maximum: 60 },
      },
    },
    jwt_configuration: {
      type: 'object',
      additionalProperties: false,
      properties: { lifetime_in_seconds: seconds(2592000), alg: { const: 'RS256' } },
    },
    client_authentication_methods: {
      type: 'object',
      additionalProperties: false,
      properties: {
        private_key_jwt: {
          type: 'object',
          additionalProperties: false,
          required: ['credentials'],
          properties: { credentials: { type: 'array', minItems: 1, maxItems: 2, items: credentialSchema } },
        },
      },
    },
    ...clientInertFields,
  },
} as const;

export const clientGrantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['client_id', 'audience', 'scope'],
  properties: { client_id: string(1, 128), audience: string(1, 600), scope: strings },
} as const;

// Auth0's options for passwordless connections (Auth0 docs: "Passwordless Connections"; Management API
// "Create a connection"): the e-mail of an `email` connection, the code's length and life (seconds), sign-up
// and brute-force protection. Other options stay free-form, as Auth0's are per strategy.
const connectionOptions = {
  type: 'object',
  properties: {
    email: {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: string(1, 320),
        subject: string(1, 998),
        syntax: { enum: ['liquid'] },
        body: string(1, 100000),
      },
    },
    totp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        length: { type: 'integer', minimum: 4, maximum: 10 },
        time_step: { type: 'integer', minimum: 30, maximum: 86400 },
      },
    },
    disable_signup: boolean,
    brute_force_protection: boolean,
    template: string(1, 1600),
  },
} as const;

export const connectionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'strategy'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$' },
    strategy: { enum: ['auth0', 'email', 'sms'] },
    options: connectionOptions,
    enabled_clients: strings,
    ...connectionInertFields,
  },
} as const;

export const userSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['connection', 'email'],
  properties: {
    user_id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,200}$' },
    connection: string(1, 128),
    email: { type: 'string', pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 320 },
    email_verified: { type: 'boolean' },
    password: string(1, 1024),
    password_hash: {
      type: 'string',
      // bcrypt ($2a$/$2b$/$2y$) or argon2id PHC strings, as Auth0's bulk import takes them.
      pattern:
        '^(\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}|\\$argon2id\\$v=19\\$m=\\d+,t=\\d+,p=\\d+\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+)$',
    },
    username: string(1, 128),
    phone_number: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' },
    name: string(1, 300),
    given_name: string(1, 150),
    family_name: string(1, 150),
    nickname: string(1, 300),
    picture: string(),
    blocked: { type: 'boolean' },
    user_metadata: { type: 'object' },
    app_metadata: { type: 'object' },
  },
} as const;

export const roleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: string(1, 50),
    description: string(0, 140),
    permissions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['resource_server_identifier', 'permission_name'],
        properties: { resource_server_identifier: string(1, 600), permission_name: string(1, 280) },
      },
    },
    users: strings,
  },
} as const;

const HEX = '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$';
// Auth0: "URL for the logo. Must use HTTPS."
const httpsUrl = { type: 'string', pattern: '^https://[^\\s]+$', maxLength: 2048 } as const;
/** Auth0's limit on a page template and on an e-mail template's body ("Maximum string length: 102400"). */
export const MAX_TEMPLATE = 102400;

/**
 * Auth0's branding settings (/api/v2/branding) and, as Auth0's deploy tool writes them, the Universal Login page
 * template (/api/v2/branding/templates/universal-login) in `templates`.
 */
export const brandingSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    colors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        primary: { type: 'string', pattern: HEX },
        // A colour, or a gradient object (stored, not drawn).
        page_background: {
          type: ['string', 'object'],
          pattern: HEX,
          additionalProperties: false,
          properties: {
            type: { const: 'linear-gradient' },
            start: { type: 'string', pattern: HEX },
            end: { type: 'string', pattern: HEX },
            angle_deg: { type: 'integer' },
          },
        },
      },
    },
    favicon_url: httpsUrl,
    logo_url: httpsUrl,
    font: { type: 'object', additionalProperties: false, properties: { url: httpsUrl } },
    templates: {
      type: 'array',
      maxItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['template', 'body'],
        properties: { template: { const: 'universal_login' }, body: string(1, MAX_TEMPLATE) },
      },
    },
  },
} as const;

// Auth0's e-mail template names (EmailTemplateNameEnum of the Management API).
export const emailTemplateNamesOfAuth0 = [
  ...emailTemplateNames,
  'verify_email_by_code',
  'auth_email_by_code',
  'reset_email_by_code',
  'stolen_credentials',
  'enrollment_email',
  'mfa_oob_code',
  'user_invitation',
  'change_password',
  'password_reset',
  'async_approval',
] as const;

/** An e-mail template as Auth0's Management API takes it (/api/v2/email-templates), whole. */
export const emailTemplateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['template'],
  properties: {
    template: { enum: emailTemplateNamesOfAuth0 },
    body: { type: 'string', maxLength: MAX_TEMPLATE },
    from: { type: 'string', maxLength: 512 },
    resultUrl: { type: 'string', maxLength: 2048 },
    subject: { type: 'string', maxLength: 1024 },
    syntax: { enum: ['liquid'] },
    // Stored in a 32-bit integer column (PostgreSQL refuses more).
    urlLifetimeInSeconds: { type: 'integer', minimum: 0, maximum: 2147483647 },
    includeEmailInRedirect: { type: 'boolean' },
    enabled: { type: 'boolean' },
  },
} as const;

export const tenantFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenant: tenantSchema,
    resource_servers: { type: 'array', items: resourceServerSchema },
    clients: { type: 'array', items: clientSchema },
    client_grants: { type: 'array', items: clientGrantSchema },
    connections: { type: 'array', items: connectionSchema },
    users: { type: 'array', items: userSchema },
    roles: { type: 'array', items: roleSchema },
    branding: brandingSchema,
    email_templates: { type: 'array', items: emailTemplateSchema },
  },
} as const;
