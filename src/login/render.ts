// Universal Login pages in Auth0's model: one Liquid page template (the customer's, stored in the database, or
// ours) holds {%- auth0:head -%} and {%- auth0:widget -%}; Gatehouse renders its head tags and the screen's form
// there, and the rest of the page is the template's. Only rendering lives here: the routes decide the screen.
//
//   render(context, template?)
//     ├─ head   = HEAD_TEMPLATE(title, nonce, styles.css, validated colours)   ─┐ our Liquid, escaping on
//     ├─ widget = widget-<screen>.liquid in widget-card.liquid (form, texts)    ─┘
//     └─ page   = page template with Auth0's variables; auth0:head / auth0:widget write the two strings above
//
// Every value from a context is untrusted (ext-* parameters, application names, user profiles): output escaping
// stays on, URLs and colours are checked before they reach an attribute or CSS.
import { existsSync, readFileSync } from 'node:fs';
import { Liquid, Tag, type Context, type Emitter, type TagToken, type Template, type TopLevelToken } from 'liquidjs';

export type Screen =
  | 'login'
  | 'signup'
  | 'consent'
  | 'error'
  | 'logged-out'
  | 'passwordless-email'
  | 'passwordless-code';

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
    scopes?: { value: string; description?: string }[];
    audience?: string;
  };
  error?: { title: string; description: string };
  returnUrl?: string;
}

export interface Renderer {
  /** pageTemplate: the customer's template from the database, or undefined for the default. */
  render(context: PageContext, pageTemplate?: string): Promise<string>;
}

const SCREENS: readonly Screen[] = [
  'login',
  'signup',
  'consent',
  'error',
  'logged-out',
  'passwordless-email',
  'passwordless-code',
];
const FORM_SCREENS: ReadonlySet<Screen> = new Set([
  'login',
  'signup',
  'consent',
  'passwordless-email',
  'passwordless-code',
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
};

const PAGE_TITLES: Record<Screen, string> = {
  login: 'Log in',
  signup: 'Sign up',
  consent: 'Authorize',
  error: 'Error',
  'logged-out': 'Logged out',
  'passwordless-email': 'Log in',
  'passwordless-code': 'Enter your code',
};

const HEAD_TEMPLATE = `<meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex, nofollow">
    <meta name="color-scheme" content="light">
    <title>{{ title }}</title>
    <style nonce="{{ nonce }}">
{{ styles | raw }}
:root { --gh-primary: {{ theme.primary }}; --gh-on-primary: {{ theme.onPrimary }}; --gh-link: {{ theme.link }}; --gh-page-bg: {{ theme.pageBackground }}; }
    </style>`;

// tsc does not copy templates to dist/: read them from the source tree, next to this file when run from src/.
const TEMPLATES_DIR = [
  new URL('./templates/', import.meta.url),
  new URL('../../../src/login/templates/', import.meta.url),
].find((dir) => existsSync(new URL('page.liquid', dir)));
if (!TEMPLATES_DIR) throw new Error(`Universal Login templates not found from ${import.meta.url}`);
const templatesDir = TEMPLATES_DIR;
const readTemplate = (name: string) => readFileSync(new URL(name, templatesDir), 'utf8');

export const defaultPageTemplate: string = readTemplate('page.liquid');
const STYLES = readTemplate('styles.css');
if (/<\/style/i.test(STYLES)) throw new Error('styles.css must not contain </style>');
const WIDGET_SOURCES: Readonly<Record<string, string>> = Object.fromEntries(
  ['card', ...SCREENS].map((name) => [`widget-${name}`, readTemplate(`widget-${name}.liquid`)]),
);

const MAX_CACHED_TEMPLATES = 32;
const DEFAULT_PRIMARY = '#2563eb';
const DEFAULT_PAGE_BACKGROUND = '#f3f4f6';
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const LOCALE = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i;
const NONCE = /^[A-Za-z0-9+/_=-]+$/;
const EXT_PARAM = /^ext-[\w-]{1,28}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;
const REQUIRED_TAGS = [
  ['head', /\{%-?\s*auth0:head\s*-?%\}/],
  ['widget', /\{%-?\s*auth0:widget\s*-?%\}/],
] as const;
// Links may lead back to a native app's custom scheme, never to script or inline documents.
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

const SLOTS = Symbol('gatehouse.login.slots');
interface Slots {
  head: string;
  widget: string;
}
type PageScope = Record<string, unknown> & { [SLOTS]: Slots };

/** {% auth0:head %} and {% auth0:widget %}: Liquid reads "auth0" as the tag name and ":head" as its arguments. */
class Auth0Tag extends Tag {
  private readonly slot: keyof Slots;

  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    const slot = /^:(head|widget)$/.exec(token.args.trim())?.[1];
    if (slot !== 'head' && slot !== 'widget')
      throw new Error(`unknown tag "auth0${token.args}": use auth0:head or auth0:widget`);
    this.slot = slot;
  }

  render(ctx: Context, emitter: Emitter): void {
    const slots = (ctx.environments as Partial<PageScope>)[SLOTS];
    if (!slots) throw new Error('auth0 tags render only through createRenderer()');
    emitter.write(slots[this.slot]);
  }
}

function createPageLiquid(): Liquid {
  const liquid = new Liquid({
    outputEscape: 'escape',
    // An empty in-memory file system: include, render and layout in a customer template reach no file.
    templates: {},
    ownPropertyOnly: true,
    parseLimit: 1_000_000,
    renderLimit: 1_000,
    memoryLimit: 64 * 1024 * 1024,
  });
  liquid.registerTag('auth0', Auth0Tag);
  return liquid;
}

function missingTag(template: string): string | undefined {
  const missing = REQUIRED_TAGS.find(([, pattern]) => !pattern.test(template));
  return missing && `The template must contain {%- auth0:${missing[0]} -%}`;
}

/** An error message for a page template the Management API should refuse, or undefined when it is valid. */
export function validatePageTemplate(template: string): string | undefined {
  if (typeof template !== 'string' || !template.trim()) return 'The template must be a non-empty string';
  const missing = missingTag(template);
  if (missing) return missing;
  try {
    createPageLiquid().parse(template);
  } catch (error) {
    return `The template does not parse: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

export function createRenderer(): Renderer {
  const pageLiquid = createPageLiquid();
  const widgetLiquid = new Liquid({
    outputEscape: 'escape',
    templates: WIDGET_SOURCES,
    cache: true,
    ownPropertyOnly: true,
  });
  const head = widgetLiquid.parse(HEAD_TEMPLATE);
  const widgets = new Map(SCREENS.map((screen) => [screen, widgetLiquid.parse(WIDGET_SOURCES[`widget-${screen}`])]));
  const defaultPage = pageLiquid.parse(defaultPageTemplate);
  // Least recently used first: a hit moves the entry to the end, an insert past the bound drops the first.
  const cache = new Map<string, Template[]>();

  function parsePage(text: string): Template[] {
    const cached = cache.get(text);
    if (cached) {
      cache.delete(text);
      cache.set(text, cached);
      return cached;
    }
    const missing = missingTag(text);
    if (missing) throw new Error(`Invalid page template: ${missing}`);
    const parsed = pageLiquid.parse(text);
    cache.set(text, parsed);
    if (cache.size > MAX_CACHED_TEMPLATES) cache.delete(cache.keys().next().value as string);
    return parsed;
  }

  return {
    async render(context, pageTemplate) {
      const view = viewOf(context);
      const widget = widgets.get(context.screen);
      if (!widget) throw new Error(`Unknown screen: ${String(context.screen)}`);
      // Synchronous rendering: nothing in these templates waits, and the async renderer's promises per
      // node cost more than the rendering itself on the login path.
      const slots: Slots = {
        head: widgetLiquid.renderSync(head, view.head),
        widget: widgetLiquid.renderSync(widget, view.widget),
      };
      // null too: a store may answer null for "no customer template".
      const page = pageTemplate == null ? defaultPage : parsePage(pageTemplate);
      const scope: PageScope = { ...view.page, [SLOTS]: slots };
      return String(pageLiquid.renderSync(page, scope));
    },
  };
}

function viewOf(context: PageContext) {
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
    prompt: PROMPTS[context.screen],
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
    styles: STYLES,
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
    error: nonEmpty(form.error),
    signupUrl: safeHref(form.signupUrl, ['http:', 'https:']),
    loginUrl: safeHref(form.loginUrl, ['http:', 'https:']),
    forgotPasswordUrl: safeHref(form.forgotPasswordUrl, ['http:', 'https:']),
    scopes: (form.scopes ?? []).map(({ value, description }) => ({ value, description: nonEmpty(description) })),
    audience: nonEmpty(form.audience),
  };
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

/** A hex colour (#rgb or #rrggbb) in lower case, or undefined: nothing else is written into CSS. */
function cssColor(value: unknown): string | undefined {
  if (typeof value !== 'string' || !HEX_COLOR.test(value)) return undefined;
  const hex = value.slice(1).toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex}`;
}

function themeOf(primary = DEFAULT_PRIMARY, pageBackground = DEFAULT_PAGE_BACKGROUND) {
  return {
    primary,
    // WCAG 2.1 AA: white button text when it reaches 4.5:1, else whichever of white or black contrasts more
    // (one of them always reaches 4.58:1).
    onPrimary:
      contrast(primary, '#ffffff') >= 4.5 || contrast(primary, '#ffffff') >= contrast(primary, '#000000')
        ? '#ffffff'
        : '#000000',
    // Links and focus rings sit on the white card: a light brand colour is darkened until it reaches 4.5:1.
    link: darkenFor(primary, '#ffffff', 4.5),
    pageBackground,
  };
}

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2.1 relative luminance and contrast ratio. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = rgb(hex).map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function darkenFor(color: string, background: string, ratio: number): string {
  for (let step = 0; step <= 20; step++) {
    const shade = `#${rgb(color)
      .map((c) =>
        Math.round(c * (1 - step / 20))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
    if (contrast(shade, background) >= ratio) return shade;
  }
  return '#000000';
}
