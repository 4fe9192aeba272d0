// Liquid set-up for the login pages: the engine that renders a page template (the customer's or ours) with
// Auth0's two custom tags {%- auth0:head -%} and {%- auth0:widget -%}, the engine for our own head and widget
// templates, and those templates, read once from the source tree. Output escaping is on in both engines.
import { existsSync, readFileSync } from 'node:fs';
import { Liquid, Tag, type Context, type Emitter, type TagToken, type TopLevelToken } from 'liquidjs';

/** The head tags: title, CSP nonce, our stylesheet and the theme's CSS variables (colours.ts). */
export const HEAD_TEMPLATE = `<meta charset="utf-8">
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
export const STYLES = readTemplate('styles.css');
if (/<\/style/i.test(STYLES)) throw new Error('styles.css must not contain </style>');

/** widget-card.liquid and widget-<screen>.liquid for each screen, by template name. */
export function readWidgetSources(screens: readonly string[]): Readonly<Record<string, string>> {
  return Object.fromEntries(
    ['card', ...screens].map((name) => [`widget-${name}`, readTemplate(`widget-${name}.liquid`)]),
  );
}

const SLOTS = Symbol('gatehouse.login.slots');
/** What the two tags write: the rendered head tags and widget. */
export interface Slots {
  head: string;
  widget: string;
}
type PageScope = Record<string, unknown> & { [SLOTS]: Slots };

/** A page template's scope: its variables, and the slots the auth0 tags read (not reachable from Liquid). */
export function pageScope(variables: Record<string, unknown>, slots: Slots): PageScope {
  return { ...variables, [SLOTS]: slots };
}

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

/** The engine for page templates, a customer's included: no file access, bounded parsing and rendering. */
export function createPageLiquid(): Liquid {
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

/** The engine for our own head and widget templates, which may include each other. */
export function createWidgetLiquid(templates: Readonly<Record<string, string>>): Liquid {
  return new Liquid({ outputEscape: 'escape', templates, cache: true, ownPropertyOnly: true });
}
