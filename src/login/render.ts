// Universal Login pages in Auth0's model: one Liquid page template (the customer's, stored in the database, or
// ours) holds {%- auth0:head -%} and {%- auth0:widget -%}; Gatehouse renders its head tags and the screen's form
// there, and the rest of the page is the template's. Only rendering lives here: the routes decide the screen.
//
//   render(context, template?)
//     ├─ view   = viewOf(context): checked values for the three scopes below        (view.ts, colours.ts)
//     ├─ head   = HEAD_TEMPLATE(title, nonce, styles.css, validated colours)   ─┐ our Liquid, escaping on
//     ├─ widget = widget-<screen>.liquid in widget-card.liquid (form, texts)    ─┘ (liquid.ts)
//     └─ page   = page template with Auth0's variables; auth0:head / auth0:widget write the two strings above
//                 (a customer template is checked first: template-checks.ts)
import type { Template } from 'liquidjs';
import {
  createPageLiquid,
  createWidgetLiquid,
  defaultPageTemplate,
  HEAD_TEMPLATE,
  pageScope,
  readWidgetSources,
  STYLES,
  type Slots,
} from './liquid.js';
import { missingTag } from './template-checks.js';
import { type PageContext, SCREENS, viewOf } from './view.js';

export { defaultPageTemplate } from './liquid.js';
export { validatePageTemplate } from './template-checks.js';
export type { PageContext, Screen } from './view.js';

export interface Renderer {
  /** pageTemplate: the customer's template from the database, or undefined for the default. */
  render(context: PageContext, pageTemplate?: string): Promise<string>;
}

const MAX_CACHED_TEMPLATES = 32;
const WIDGET_SOURCES = readWidgetSources(SCREENS);

export function createRenderer(): Renderer {
  const pageLiquid = createPageLiquid();
  const widgetLiquid = createWidgetLiquid(WIDGET_SOURCES);
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
      const view = viewOf(context, STYLES);
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
      return String(pageLiquid.renderSync(page, pageScope(view.page, slots)));
    },
  };
}
