// What a login page shows, from a PageContext: the variables of the page template (Auth0's names, so a customer
// template reads {{ application.name }} or {{ prompt.screen.name }}), of our head tags and of the screen's widget.
// Every value from a context is untrusted (ext-* parameters, application names, user profiles): output escaping
// stays on in the templates, and URLs, e-mail addresses and colours are checked here before they reach an
// attribute or CSS.
import { cssColor, themeOf } from './colours.js';

export type Screen =
  | 'login'
  | 'signup'
  | 'consent'
  | 'error'
  | 'logged-out'
  | 'passwordless-email'
  | 'passwordless-code'
  | 'reset-password-request'
  | 'reset-password-email'
  | 'reset-password'
  | 'reset-password-success'
  | 'email-verification-result'
  | 'device-code'
  | 'device-confirm'
  | 'device-allowed'
  | 'device-denied';

export interface PageContext {
  screen: Screen;
  /** CSP nonce for this response: every <style> and <script> the head tags and widget emit carry it. */
  nonce: string;
  locale?: string;
  application?: { id: string; name: string; logo_url?: string | null };
  tenant?: { friendly_name?: string; support_email?: string; support_url?: string };
  branding?: { logo_url?: string; colors?: { primary?: string; page_background?: string } };
  /** params holds the ext-* values of the /authorize request, e.g. {'ext-foo': 'bar'}. */
  transaction?: { state: string; params: Record<string, string> };
  user?: Record<string, unknown>;
  form?: {
    /** Where the widget's form posts, e.g. '/u/login?state=abc'. */
    action: string;
    /** Value of the hidden "_csrf" input. */
    csrf: string;
    email?: string;
    /** Shown above the form with role="alert", e.g. 'Wrong email or password'. */
    error?: string;
    signupUrl?: string;
    loginUrl?: string;
    forgotPasswordUrl?: string;
    /** The passwordless screens of an `sms` connection: a phone number instead of an e-mail address. */
    sms?: boolean;
    phoneNumber?: string;
    /** The passwordless code screen's "Resend code" form. */
    resend?: { action: string; csrf: string };
    /** The connection's password policy in words (the reset-password screen). */
    passwordPolicy?: string;
    scopes?: { value: string; description?: string }[];
    audience?: string;
    /** The device screens: the user code, as XXXX-XXXX (filled in from verification_uri_complete). */
    userCode?: string;
  };
  error?: { title: string; description: string };
  returnUrl?: string;
}

export const SCREENS: readonly Screen[] = [
  'login',
  'signup',
  'consent',
  'error',
  'logged-out',
  'passwordless-email',
  'passwordless-code',
  'reset-password-request',
  'reset-password-email',
  'reset-password',
  'reset-password-success',
  'email-verification-result',
  'device-code',
  'device-confirm',
  'device-allowed',
  'device-denied',
];
const FORM_SCREENS: ReadonlySet<Screen> = new Set([
  'login',
  'signup',
  'consent',
  'passwordless-email',
  'passwordless-code',
  'reset-password-request',
  'reset-password',
  'device-code',
  'device-confirm',
]);

// Auth0's prompt and screen names, so a customer template can branch on {{ prompt.screen.name }}. Auth0 shows
// its error page outside the prompts; Gatehouse calls that one 'error'.
const PROMPTS: Record<Screen, { name: string; screen: { name: string } }> = {
  login: { name: 'login', screen: { name: 'login' } },
  signup: { name: 'signup', screen: { name: 'signup' } },
  consent: { name: 'consent', screen: { name: 'consent' } },
  error: { name: 'error', screen: { name: 'error' } },
  'logged-out': { name: 'logout', screen: { name: 'logout-complete' } },
  'passwordless-email': { name: 'login-id', screen: { name: 'login-id' } },
  'passwordless-code': { name: 'login-passwordless', screen: { name: 'login-passwordless-email-code' } },
  'reset-password-request': { name: 'reset-password', screen: { name: 'reset-password-request' } },
  'reset-password-email': { name: 'reset-password', screen: { name: 'reset-password-email' } },
  'reset-password': { name: 'reset-password', screen: { name: 'reset-password' } },
  'reset-password-success': { name: 'reset-password', screen: { name: 'reset-password-success' } },
  'email-verification-result': { name: 'email-verification', screen: { name: 'email-verification-result' } },
  'device-code': { name: 'device-flow', screen: { name: 'device-code-activation' } },
  'device-confirm': { name: 'device-flow', screen: { name: 'device-code-confirmation' } },
  'device-allowed': { name: 'device-flow', screen: { name: 'device-code-activation-allowed' } },
  'device-denied': { name: 'device-flow', screen: { name: 'device-code-activation-denied' } },
};

const PAGE_TITLES: Record<Screen, string> = {
  login: 'Log in',
  signup: 'Sign up',
  consent: 'Authorize',
  error: 'Error',
  'logged-out': 'Logged out',
  'passwordless-email': 'Log in',
  'passwordless-code': 'Enter your code',
  'reset-password-request': 'Forgot your password?',
  'reset-password-email': 'Check your email',
  'reset-password': 'Change your password',
  'reset-password-success': 'Password changed',
  'email-verification-result': 'Email verified',
  'device-code': 'Device Activation',
  'device-confirm': 'Device Confirmation',
  'device-allowed': 'Device connected',
  'device-denied': 'Activation cancelled',
};

const LOCALE = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i;
const NONCE = /^[A-Za-z0-9+/_=-]+$/;
const EXT_PARAM = /^ext-[\w-]{1,28}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;
// Links may lead back to a native app's custom scheme, never to script or inline documents.
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/** The scopes of the page template, our head tags (with our stylesheet) and the screen's widget. */
export function viewOf(context: PageContext, styles: string) {
  if (!SCREENS.includes(context.screen)) throw new Error(`Unknown screen: ${String(context.screen)}`);
  if (typeof context.nonce !== 'string' || !NONCE.test(context.nonce))
    throw new Error('A CSP nonce (base64) is required');
  const { application, tenant, branding } = context;
  const appName = nonEmpty(application?.name);
  const tenantName = nonEmpty(tenant?.friendly_name);
  const primary = cssColor(branding?.colors?.primary);
  const pageBackground = cssColor(branding?.colors?.page_background);
  const brandingLogo = httpUrl(branding?.logo_url);
  const logoUrl = httpUrl(application?.logo_url) ?? brandingLogo;
  const badgeName = appName ?? tenantName;
  const state = nonEmpty(context.transaction?.state);

  const page = {
    locale: context.locale && LOCALE.test(context.locale) ? context.locale : 'en',
    nonce: context.nonce,
    state,
    prompt: promptOf(context),
    transaction: context.transaction && { state, params: extParams(context.transaction.params) },
    application: application && { id: application.id, name: application.name, logo_url: httpUrl(application.logo_url) },
    tenant: tenant && {
      friendly_name: tenantName,
      support_email: supportEmail(tenant.support_email),
      support_url: httpUrl(tenant.support_url),
    },
    branding: { logo_url: brandingLogo, colors: { primary, page_background: pageBackground } },
    user: context.user,
  };

  const head = {
    title: pageTitle(context, appName),
    nonce: context.nonce,
    styles,
    theme: themeOf(primary, pageBackground),
  };

  const widget = {
    app_name: appName,
    state,
    logo: logoUrl
      ? { url: logoUrl, alt: badgeName ?? 'Logo' }
      : badgeName && { initial: Array.from(badgeName.trim())[0].toLocaleUpperCase() },
    form: formOf(context),
    user_name: userName(context.user),
    user_email: nonEmpty(context.user?.email),
    error: context.error ?? { title: 'Something went wrong', description: 'The request could not be completed.' },
    support: supportOf(tenant),
    return_url: safeHref(context.returnUrl),
  };
  return { page, head, widget };
}

function formOf({ screen, form }: PageContext) {
  if (!form) {
    if (FORM_SCREENS.has(screen)) throw new Error(`The ${screen} screen needs form.action and form.csrf`);
    return undefined;
  }
  const action = safeHref(form.action, ['http:', 'https:']);
  if (!action) throw new Error('form.action must be a path or an http(s) URL');
  if (typeof form.csrf !== 'string' || !form.csrf) throw new Error('form.csrf is required');
  return {
    action,
    csrf: form.csrf,
    email: form.email,
    sms: form.sms === true,
    phoneNumber: nonEmpty(form.phoneNumber),
    resend: resendOf(form.resend),
    error: nonEmpty(form.error),
    signupUrl: safeHref(form.signupUrl, ['http:', 'https:']),
    loginUrl: safeHref(form.loginUrl, ['http:', 'https:']),
    forgotPasswordUrl: safeHref(form.forgotPasswordUrl, ['http:', 'https:']),
    passwordPolicy: nonEmpty(form.passwordPolicy),
    scopes: (form.scopes ?? []).map(({ value, description }) => ({ value, description: nonEmpty(description) })),
    audience: nonEmpty(form.audience),
    userCode: nonEmpty(form.userCode),
  };
}

function resendOf(resend: NonNullable<PageContext['form']>['resend']) {
  const action = safeHref(resend?.action, ['http:', 'https:']);
  return action && resend?.csrf ? { action, csrf: resend.csrf } : undefined;
}

/** Auth0 names the code screen after its channel: login-passwordless-email-code or login-passwordless-sms-otp. */
function promptOf({ screen, form }: PageContext) {
  if (screen === 'passwordless-code' && form?.sms)
    return { name: 'login-passwordless', screen: { name: 'login-passwordless-sms-otp' } };
  return PROMPTS[screen];
}

function pageTitle({ screen, error }: PageContext, appName: string | undefined): string {
  if (screen === 'error') return error?.title || PAGE_TITLES.error;
  if (screen === 'consent') return appName ? `Authorize ${appName}` : PAGE_TITLES.consent;
  return appName ? `${PAGE_TITLES[screen]} | ${appName}` : PAGE_TITLES[screen];
}

function supportOf(tenant: PageContext['tenant']): { url: string; label: string } | undefined {
  const url = httpUrl(tenant?.support_url);
  if (url) return { url, label: 'Contact support' };
  const email = supportEmail(tenant?.support_email);
  return email ? { url: `mailto:${email}`, label: email } : undefined;
}

function userName(user: PageContext['user']): string | undefined {
  return [user?.name, user?.nickname, user?.email].map(nonEmpty).find(Boolean);
}

function extParams(params: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params ?? {}).filter(([name, value]) => EXT_PARAM.test(name) && typeof value === 'string'),
  );
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

function supportEmail(value: unknown): string | undefined {
  return typeof value === 'string' && EMAIL.test(value) ? value : undefined;
}

/** An absolute http(s) URL (logos, support pages), normalised; anything else is dropped. */
function httpUrl(value: unknown): string | undefined {
  return safeHref(value, ['http:', 'https:'], false);
}

/** A path on this server, or an absolute URL whose scheme is allowed (all but UNSAFE_SCHEMES when not listed). */
function safeHref(value: unknown, schemes?: readonly string[], allowPath = true): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  // "//host" and "/\host" are other hosts to a browser, not paths.
  if (allowPath && value.startsWith('/') && !/^\/[/\\]/.test(value)) return value;
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  const allowed = schemes ? schemes.includes(url.protocol) : !UNSAFE_SCHEMES.has(url.protocol);
  return allowed ? url.href : undefined;
}
