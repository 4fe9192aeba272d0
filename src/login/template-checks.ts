// Checks on a page template: the Management API refuses a template that would not render (Auth0 docs:
// "Customize Universal Login Page Templates", /docs/customize/login-pages/universal-login/customize-templates:
// a template must contain {%- auth0:head -%} and {%- auth0:widget -%}), and the renderer checks again.
import { createPageLiquid } from './liquid.js';

const REQUIRED_TAGS = [
  ['head', /\{%-?\s*auth0:head\s*-?%\}/],
  ['widget', /\{%-?\s*auth0:widget\s*-?%\}/],
] as const;

/** Which of the two auth0 tags a template lacks, as an error message, or undefined when it holds both. */
export function missingTag(template: string): string | undefined {
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
