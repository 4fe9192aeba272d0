// What a browser gets from the Universal Login renderer: every screen with the default template (labels tied
// to inputs, buttons, links, the alert, the CSRF field, the nonce on inline styles), a customer template in
// Auth0's model with ext-* parameters, escaping of untrusted values, template validation, and colours and URLs
// checked before they reach CSS or an attribute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Liquid } from 'liquidjs';
import { createRenderer, defaultPageTemplate, type PageContext, validatePageTemplate } from '../../src/login/render.js';

const NONCE = 'bm9uY2UtZm9yLXRlc3Rz';
const renderer = createRenderer();

type Attributes = Record<string, string>;

/** Every <name ...> start tag's attributes, in document order. */
function elements(html: string, name: string): Attributes[] {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map(([, attributes]) =>
    Object.fromEntries(
      [...attributes.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)].map(([, key, value]) => [key, value ?? '']),
    ),
  );
}

function one(html: string, name: string, match: Attributes): Attributes {
  const found = elements(html, name).filter((attributes) =>
    Object.entries(match).every(([key, value]) => attributes[key] === value),
  );
  assert.equal(found.length, 1, `exactly one <${name}> with ${JSON.stringify(match)}`);
  return found[0];
}

/** The input a visible <label> names, through for/id. */
function labelled(html: string, text: string): Attributes {
  const label = [...html.matchAll(/<label for="([^"]+)">([^<]*)<\/label>/g)].find(([, , content]) => content === text);
  assert.ok(label, `a <label> "${text}"`);
  return one(html, 'input', { id: label[1] });
}

function button(html: string, text: string): Attributes {
  const found = [...html.matchAll(/<button\b([^>]*)>([^<]*)<\/button>/g)].filter(([, , content]) => content === text);
  assert.equal(found.length, 1, `one button "${text}"`);
  return elements(`<button${found[0][1]}>`, 'button')[0];
}

function link(html: string, text: string): string | undefined {
  return [...html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].find(
    ([, , content]) => content === text,
  )?.[1];
}

function alert(html: string): string | undefined {
  return /<div [^>]*role="alert"[^>]*>([^<]*)<\/div>/.exec(html)?.[1];
}

/** What every page must hold whatever the screen. */
function assertPage(html: string) {
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  const inline = elements(html, '(?:style|script)');
  assert.ok(inline.length >= 1);
  for (const attributes of inline) assert.equal(attributes.nonce, NONCE);
  assert.doesNotMatch(html, /<script|<link\b|@import|url\(|<iframe/i, 'no scripts or external resources');
  for (const form of elements(html, 'form')) assert.equal(form.method, 'post');
  const forms = html.match(/<form\b/g)?.length ?? 0;
  assert.equal(
    elements(html, 'input').filter((i) => i.name === '_csrf' && i.type === 'hidden' && i.value === 'csrf-token').length,
    forms,
  );
  const ids = elements(html, '[a-z]+')
    .map((a) => a.id)
    .filter(Boolean);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
}

const acme = { id: 'app-123', name: 'Acme Dashboard' };

function context(screen: PageContext['screen'], extra: Partial<PageContext> = {}): PageContext {
  return {
    screen,
    nonce: NONCE,
    application: acme,
    tenant: { friendly_name: 'Acme' },
    transaction: { state: 'st-1', params: {} },
    form: { action: `/u/${screen}?state=st-1`, csrf: 'csrf-token' },
    ...extra,
  };
}

describe('default template: every screen', () => {
  test('login: Email address, Password, Continue, Sign up, Forgot password?, the error as an alert', async () => {
    const html = await renderer.render(
      context('login', {
        form: {
          action: '/u/login?state=st-1',
          csrf: 'csrf-token',
          email: 'jo@example.com',
          error: 'Wrong email or password',
          signupUrl: '/u/signup?state=st-1',
          forgotPasswordUrl: '/u/reset-password?state=st-1',
        },
      }),
    );
    assertPage(html);
    assert.match(html, /<title>Log in \| Acme Dashboard<\/title>/);
    assert.match(html, /<h1 class="gh-title">Welcome<\/h1>/);
    assert.match(html, /Log in to Acme Dashboard to continue\./);
    const email = labelled(html, 'Email address');
    assert.deepEqual(
      [email.type, email.name, email.autocomplete, email.value],
      ['email', 'email', 'username', 'jo@example.com'],
    );
    const password = labelled(html, 'Password');
    assert.deepEqual(
      [password.type, password.name, password.autocomplete],
      ['password', 'password', 'current-password'],
    );
    assert.ok('autofocus' in password && !('autofocus' in email), 'focus goes to the password when the email is known');
    assert.equal(button(html, 'Continue').type, 'submit');
    assert.equal(one(html, 'form', {}).action, '/u/login?state=st-1');
    assert.equal(alert(html), 'Wrong email or password');
    assert.equal(password['aria-describedby'], 'gh-error');
    assert.match(html, /Don't have an account\? <a href="\/u\/signup\?state=st-1">Sign up<\/a>/);
    assert.equal(link(html, 'Forgot password?'), '/u/reset-password?state=st-1');
    assert.equal(one(html, 'input', { name: 'state' }).value, 'st-1');
    // The form comes in tab order: email, password, forgot password, Continue, sign up.
    const order = ['id="gh-email"', 'id="gh-password"', 'Forgot password?', '>Continue<', '>Sign up<'].map((s) =>
      html.indexOf(s),
    );
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
  });

  test('login without optional links or error shows neither', async () => {
    const html = await renderer.render(context('login'));
    assertPage(html);
    assert.equal(alert(html), undefined);
    assert.equal(link(html, 'Forgot password?'), undefined);
    assert.equal(link(html, 'Sign up'), undefined);
    assert.ok('autofocus' in labelled(html, 'Email address'));
  });

  test('signup: Create your account, a new password, Already have an account? Log in', async () => {
    const html = await renderer.render(
      context('signup', {
        form: {
          action: '/u/signup?state=st-1',
          csrf: 'csrf-token',
          loginUrl: '/u/login?state=st-1',
          error: 'The user already exists.',
        },
      }),
    );
    assertPage(html);
    assert.match(html, /<h1 class="gh-title">Create your account<\/h1>/);
    assert.equal(labelled(html, 'Email address').type, 'email');
    const password = labelled(html, 'Password');
    assert.deepEqual([password.type, password.autocomplete], ['password', 'new-password']);
    assert.equal(button(html, 'Continue').type, 'submit');
    assert.match(html, /Already have an account\? <a href="\/u\/login\?state=st-1">Log in<\/a>/);
    assert.equal(alert(html), 'The user already exists.');
  });

  test('consent: the application asks for the API, scopes with descriptions, Accept and Decline', async () => {
    const html = await renderer.render(
      context('consent', {
        user: { name: 'Jo Doe', email: 'jo@example.com' },
        form: {
          action: '/u/consent?state=st-1',
          csrf: 'csrf-token',
          audience: 'https://api.acme.test/',
          scopes: [{ value: 'read:items', description: 'Read your items' }, { value: 'write:items' }],
        },
      }),
    );
    assertPage(html);
    assert.match(html, /<title>Authorize Acme Dashboard<\/title>/);
    assert.match(
      html,
      /<strong>Acme Dashboard<\/strong> is requesting access to <strong class="gh-break">https:\/\/api\.acme\.test\/<\/strong>/,
    );
    assert.match(html, /Hi Jo Doe,/);
    assert.match(html, /Read your items<\/span>\s*<code class="gh-scope-value">read:items<\/code>/);
    assert.match(html, /<code class="gh-scope-value gh-scope-only">write:items<\/code>/);
    assert.deepEqual(button(html, 'Accept'), { class: 'gh-button', type: 'submit', name: 'action', value: 'accept' });
    assert.deepEqual(button(html, 'Decline'), {
      class: 'gh-button gh-button-secondary',
      type: 'submit',
      name: 'action',
      value: 'decline',
    });
  });

  test('passwordless: Email address and Continue, then Code and Continue', async () => {
    const start = await renderer.render(context('passwordless-email'));
    assertPage(start);
    const email = labelled(start, 'Email address');
    assert.deepEqual([email.type, email.name], ['email', 'email']);
    assert.equal(button(start, 'Continue').type, 'submit');
    assert.equal(elements(start, 'input').filter((i) => i.type === 'password').length, 0);

    const code = await renderer.render(
      context('passwordless-code', {
        form: {
          action: '/u/passwordless?state=st-1',
          csrf: 'csrf-token',
          email: 'jo@example.com',
          error: 'Wrong code',
        },
      }),
    );
    assertPage(code);
    assert.match(code, /We've sent an email with your code to <strong class="gh-break">jo@example\.com<\/strong>/);
    const input = labelled(code, 'Code');
    assert.deepEqual([input.name, input.inputmode, input.autocomplete], ['code', 'numeric', 'one-time-code']);
    assert.equal(button(code, 'Continue').type, 'submit');
    assert.equal(alert(code), 'Wrong code');
  });

  test('error: the title, the description as an alert, and the tenant support link', async () => {
    const error = { title: 'Invalid request', description: 'The redirect_uri is not registered for this application.' };
    const withUrl = await renderer.render({
      screen: 'error',
      nonce: NONCE,
      error,
      tenant: { support_url: 'https://help.acme.test/', support_email: 'help@acme.test' },
    });
    assertPage(withUrl);
    assert.match(withUrl, /<title>Invalid request<\/title>/);
    assert.match(withUrl, /<h1 class="gh-title">Invalid request<\/h1>/);
    assert.equal(alert(withUrl), error.description);
    assert.equal(link(withUrl, 'Contact support'), 'https://help.acme.test/');
    assert.equal(elements(withUrl, 'form').length, 0);

    const withEmail = await renderer.render({
      screen: 'error',
      nonce: NONCE,
      error,
      tenant: { support_email: 'help@acme.test' },
    });
    assert.equal(link(withEmail, 'help@acme.test'), 'mailto:help@acme.test');

    const without = await renderer.render({ screen: 'error', nonce: NONCE, error });
    assertPage(without);
    assert.doesNotMatch(without, /<a\b/);
    assert.doesNotMatch(without, /class="gh-(?:badge|logo)"/, 'no application, no tenant: no logo or badge');
  });

  test('logged-out: the message, and a link back when there is one', async () => {
    const html = await renderer.render({
      screen: 'logged-out',
      nonce: NONCE,
      application: acme,
      returnUrl: 'https://app.acme.test/',
    });
    assertPage(html);
    assert.match(html, /<h1 class="gh-title">You have been logged out<\/h1>/);
    assert.equal(link(html, 'Return to Acme Dashboard'), 'https://app.acme.test/');

    const plain = await renderer.render({ screen: 'logged-out', nonce: NONCE });
    assertPage(plain);
    assert.match(plain, /You have been logged out/);
    assert.doesNotMatch(plain, /<a\b/);
  });

  test("the logo: the application's, else the branding one, else an initial badge", async () => {
    const app = await renderer.render(
      context('login', {
        application: { ...acme, logo_url: 'https://cdn.acme.test/app.png' },
        branding: { logo_url: 'https://cdn.acme.test/brand.png' },
      }),
    );
    assert.deepEqual(one(app, 'img', {}), {
      class: 'gh-logo',
      src: 'https://cdn.acme.test/app.png',
      alt: 'Acme Dashboard',
    });
    const brand = await renderer.render(
      context('login', {
        application: { ...acme, logo_url: null },
        branding: { logo_url: 'https://cdn.acme.test/brand.png' },
      }),
    );
    assert.equal(one(brand, 'img', {}).src, 'https://cdn.acme.test/brand.png');
    const badge = await renderer.render(context('login', { application: { id: 'x', name: 'zeta' } }));
    assert.match(badge, /<div class="gh-badge" aria-hidden="true">Z<\/div>/);
    assert.equal(elements(badge, 'img').length, 0);
  });

  test('lang comes from the locale when it looks like one', async () => {
    assert.match(await renderer.render(context('login', { locale: 'fr-CA' })), /<html lang="fr-CA">/);
    assert.match(await renderer.render(context('login', { locale: '"><script>x' })), /<html lang="en">/);
  });
});

describe('customer page templates', () => {
  const template = `<!doctype html><html lang="{{ locale }}"><head>{% auth0:head %}</head><body>
<p id="dot">{{ transaction.params.ext-campaign }}</p>
<p id="bracket">{{ transaction.params['ext-campaign'] }}</p>
<p id="hyphens">{{ transaction.params.ext-my-theme }}</p>
<p id="app">{{ application.id }}|{{ application.name }}|{{ application.logo_url }}</p>
<p id="tenant">{{ tenant.friendly_name }}|{{ tenant.support_email }}|{{ tenant.support_url }}</p>
<p id="branding">{{ branding.logo_url }}|{{ branding.colors.primary }}|{{ branding.colors.page_background }}</p>
<p id="prompt">{{ prompt.name }}|{{ prompt.screen.name }}|{{ state }}|{{ user.email }}</p>
{% if prompt.name == "login" %}<p id="branch">login page</p>{% endif %}
{% auth0:widget %}</body></html>`;

  test("Auth0's variables, ext-* parameters by dot and bracket, and the widget at auth0:widget", async () => {
    const html = await renderer.render(
      context('login', {
        locale: 'de',
        application: { id: 'app-123', name: 'Acme Dashboard', logo_url: 'https://cdn.acme.test/app.png' },
        tenant: { friendly_name: 'Acme', support_email: 'help@acme.test', support_url: 'https://help.acme.test/' },
        branding: {
          logo_url: 'https://cdn.acme.test/brand.png',
          colors: { primary: '#1A73E8', page_background: '#fafafa' },
        },
        transaction: { state: 'st-9', params: { 'ext-campaign': 'spring', 'ext-my-theme': 'dark' } },
        user: { email: 'jo@example.com' },
      }),
      template,
    );
    assert.match(html, /<html lang="de">/);
    assert.match(html, /<p id="dot">spring<\/p>/);
    assert.match(html, /<p id="bracket">spring<\/p>/);
    assert.match(html, /<p id="hyphens">dark<\/p>/);
    assert.match(html, /<p id="app">app-123\|Acme Dashboard\|https:\/\/cdn\.acme\.test\/app\.png<\/p>/);
    assert.match(html, /<p id="tenant">Acme\|help@acme\.test\|https:\/\/help\.acme\.test\/<\/p>/);
    assert.match(html, /<p id="branding">https:\/\/cdn\.acme\.test\/brand\.png\|#1a73e8\|#fafafa<\/p>/);
    assert.match(html, /<p id="prompt">login\|login\|st-9\|jo@example\.com<\/p>/);
    assert.match(html, /<p id="branch">login page<\/p>/);
    assert.equal(one(html, 'style', {}).nonce, NONCE);
    assert.match(html, /<title>Log in \| Acme Dashboard<\/title>/);
    assert.equal(labelled(html, 'Email address').name, 'email');
    assert.ok(
      html.indexOf('<main class="gh-main">') > html.indexOf('id="branch"'),
      'the widget sits where the template put it',
    );
  });

  test('prompt.name and prompt.screen.name follow the screen', async () => {
    const names = '{%- auth0:head -%}{{ prompt.name }}/{{ prompt.screen.name }}{%- auth0:widget -%}';
    const seen = await Promise.all(
      (['signup', 'consent', 'passwordless-code'] as const).map(
        async (screen) => /<\/style>([^<]*)<main/.exec(await renderer.render(context(screen), names))?.[1],
      ),
    );
    assert.deepEqual(seen, ['signup/signup', 'consent/consent', 'login-passwordless/login-passwordless-email-code']);
  });

  test('a template is parsed once, and the cache is bounded', async () => {
    const parse = Liquid.prototype.parse;
    const parsed: string[] = [];
    Liquid.prototype.parse = function (this: Liquid, html: string, filepath?: string) {
      parsed.push(html);
      return parse.call(this, html, filepath);
    };
    try {
      const local = createRenderer();
      const mine = `${template}<!-- once -->`;
      for (let i = 0; i < 3; i++) await local.render(context('login'), mine);
      await local.render(context('login'));
      assert.equal(parsed.filter((t) => t === mine).length, 1);
      for (let i = 0; i < 40; i++) await local.render(context('login'), `{%- auth0:head -%}${i}{%- auth0:widget -%}`);
      await local.render(context('login'), mine);
      assert.equal(parsed.filter((t) => t === mine).length, 2, 'evicted after 40 others, parsed again');
    } finally {
      Liquid.prototype.parse = parse;
    }
  });

  test('a template cannot read files through include, render or layout', async () => {
    for (const tag of [
      "{% include '/etc/passwd' %}",
      "{% render 'package.json' %}",
      "{% layout 'src/login/templates/page.liquid' %}",
    ]) {
      await assert.rejects(
        renderer.render(context('login'), `{%- auth0:head -%}${tag}{%- auth0:widget -%}`),
        /Failed to lookup|ENOENT/,
      );
    }
  });

  test('an invalid template is refused at render time too', async () => {
    await assert.rejects(renderer.render(context('login'), '<html>{%- auth0:head -%}</html>'), /auth0:widget/);
    await assert.rejects(
      renderer.render(context('login'), '{%- auth0:head -%}{% if x %}{%- auth0:widget -%}'),
      /not closed/,
    );
  });
});

describe('untrusted values are escaped', () => {
  const evil = '<script>alert(1)</script>';

  test('in an ext-* parameter, the application name and the user, in the template and the widget', async () => {
    const html = await renderer.render(
      context('consent', {
        application: { id: 'app-1', name: `Evil ${evil}"` },
        transaction: { state: '"><b>', params: { 'ext-x': evil } },
        user: { name: evil },
        form: {
          action: '/u/consent',
          csrf: 'csrf-token',
          audience: evil,
          scopes: [{ value: evil, description: evil }],
        },
      }),
      `{%- auth0:head -%}<p>{{ transaction.params.ext-x }}|{{ application.name }}|{{ user.name }}|{{ state }}</p>{%- auth0:widget -%}`,
    );
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<b>/);
    assert.match(
      html,
      /<p>&lt;script&gt;alert\(1\)&lt;\/script&gt;\|Evil &lt;script&gt;alert\(1\)&lt;\/script&gt;&#34;\|/,
    );
    assert.match(html, /<title>Authorize Evil &lt;script&gt;/);
    assert.equal(one(html, 'input', { name: 'state' }).value, '&#34;&gt;&lt;b&gt;');
  });

  test('in the form values a user typed', async () => {
    const html = await renderer.render(
      context('login', {
        form: { action: '/u/login', csrf: 'csrf-token', email: `"><img src=x onerror=alert(1)>`, error: evil },
      }),
    );
    assert.doesNotMatch(html, /<script|<img/i);
    assert.equal(labelled(html, 'Email address').value, '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;');
    assert.equal(alert(html), '&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('only ext-* parameters reach the template', async () => {
    const html = await renderer.render(
      context('login', {
        transaction: { state: 's', params: { 'ext-ok': 'yes', login_hint: 'secret@example.com', 'ext-bad!': 'no' } },
      }),
      '{%- auth0:head -%}[{{ transaction.params.ext-ok }}|{{ transaction.params.login_hint }}|{{ transaction.params["ext-bad!"] }}]{%- auth0:widget -%}',
    );
    assert.match(html, /\[yes\|\|\]/);
  });

  test('unsafe link and image URLs are dropped', async () => {
    const html = await renderer.render(
      context('login', {
        application: { ...acme, logo_url: 'javascript:alert(1)' },
        branding: { logo_url: 'data:image/svg+xml,<svg onload=alert(1)>' },
        form: {
          action: '/u/login',
          csrf: 'csrf-token',
          signupUrl: 'javascript:alert(1)',
          forgotPasswordUrl: '//evil.test/reset',
        },
      }),
    );
    assert.doesNotMatch(html, /javascript:|evil\.test|data:/);
    assert.equal(elements(html, 'img').length, 0);
    assert.match(html, /gh-badge/);
    const out = await renderer.render({
      screen: 'logged-out',
      nonce: NONCE,
      returnUrl: 'JavaScript:alert(1)',
      tenant: { support_url: 'javascript:x' },
    });
    assert.doesNotMatch(out, /<a\b/);
    const native = await renderer.render({ screen: 'logged-out', nonce: NONCE, returnUrl: 'com.acme.app:/logged-out' });
    assert.equal(link(native, 'Continue'), 'com.acme.app:/logged-out');
  });
});

describe('brand colours', () => {
  /** The per-tenant custom properties the head writes after the stylesheet. */
  const theme = (html: string) => {
    const block = /:root \{ (--gh-primary[^}]*)\}/.exec(html)?.[1] ?? '';
    return Object.fromEntries([...block.matchAll(/--gh-([a-z-]+): ([^;]+);/g)].map(([, name, value]) => [name, value]));
  };

  test('a valid hex primary and page background are used; the button text and links keep AA contrast', async () => {
    const dark = await renderer.render(
      context('login', { branding: { colors: { primary: '#1a73e8', page_background: '#ABC' } } }),
    );
    assert.deepEqual(theme(dark), {
      primary: '#1a73e8',
      'on-primary': '#ffffff',
      link: '#1a73e8',
      'page-bg': '#aabbcc',
    });
    const light = theme(await renderer.render(context('login', { branding: { colors: { primary: '#ffeb3b' } } })));
    assert.equal(light.primary, '#ffeb3b');
    assert.equal(light['on-primary'], '#000000', 'black text on a yellow button');
    assert.notEqual(light.link, '#ffeb3b', 'a yellow link on white would fail AA: darkened');
    assert.match(light.link, /^#[0-9a-f]{6}$/);
  });

  test('anything but a hex colour falls back to the defaults and never reaches the CSS', async () => {
    for (const value of [
      'red;} body { display: none } :root {',
      'url(https://evil.test/x)',
      '#12345',
      'expression(alert(1))',
      '#1a73e8;',
      '</style><script>alert(1)</script>',
      'rgb(0,0,0)',
    ]) {
      const html = await renderer.render(
        context('login', { branding: { colors: { primary: value, page_background: value } } }),
      );
      assert.deepEqual(
        theme(html),
        { primary: '#2563eb', 'on-primary': '#ffffff', link: '#2563eb', 'page-bg': '#f3f4f6' },
        value,
      );
      assert.ok(!html.includes(value), `${value} is not in the page`);
    }
  });
});

describe('validatePageTemplate', () => {
  const cases: { name: string; template: string; error?: RegExp }[] = [
    { name: 'the default template', template: defaultPageTemplate },
    {
      name: 'tags with dashes',
      template: '<html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>',
    },
    {
      name: 'tags without dashes',
      template: '<html><head>{% auth0:head %}</head><body>{% auth0:widget %}</body></html>',
    },
    {
      name: 'ext params and filters',
      template: '{%- auth0:head -%}{{ transaction.params.ext-a | upcase }}{%- auth0:widget -%}',
    },
    { name: 'missing auth0:head', template: '<html><body>{%- auth0:widget -%}</body></html>', error: /auth0:head/ },
    { name: 'missing auth0:widget', template: '<html><head>{%- auth0:head -%}</head></html>', error: /auth0:widget/ },
    { name: 'empty', template: '', error: /non-empty/ },
    {
      name: 'a block left open',
      template: '{%- auth0:head -%}{% if x %}{%- auth0:widget -%}',
      error: /does not parse/,
    },
    { name: 'an unclosed output', template: '{%- auth0:head -%}{{ x {%- auth0:widget -%}', error: /does not parse/ },
    {
      name: 'an unknown auth0 tag',
      template: '{%- auth0:head -%}{% auth0:footer %}{%- auth0:widget -%}',
      error: /auth0:footer/,
    },
    {
      name: 'an unknown tag',
      template: '{%- auth0:head -%}{% nosuchtag %}{%- auth0:widget -%}',
      error: /does not parse/,
    },
  ];
  for (const { name, template, error } of cases) {
    test(name, () => {
      const result = validatePageTemplate(template);
      if (error) assert.match(result ?? '(valid)', error);
      else assert.equal(result, undefined);
    });
  }
});

describe('programming errors are loud', () => {
  test('a form screen without a form, a bad nonce, an unknown screen', async () => {
    await assert.rejects(renderer.render({ screen: 'login', nonce: NONCE }), /form\.action and form\.csrf/);
    await assert.rejects(renderer.render({ ...context('login'), nonce: '" onload="x' }), /nonce/);
    await assert.rejects(
      renderer.render({ ...context('login'), form: { action: 'javascript:x', csrf: 't' } }),
      /form\.action/,
    );
    await assert.rejects(renderer.render({ ...context('login'), form: { action: '/u/login', csrf: '' } }), /csrf/);
    await assert.rejects(
      renderer.render({ ...context('login'), screen: 'nope' as PageContext['screen'] }),
      /Unknown screen/,
    );
  });
});
