// Renders every Universal Login screen with sample data to .bench/preview/<name>.html (git-ignored), so the
// pages can be opened or screenshotted in Chromium without a running server. Build first: npx tsc -p tsconfig.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRenderer } from '../dist/src/login/render.js';

const out = new URL('../.bench/preview/', import.meta.url);
const renderer = createRenderer();
const nonce = 'cHJldmlldy1ub25jZQ';
const base = {
  nonce,
  application: { id: 'app-123', name: 'Acme Dashboard' },
  tenant: { friendly_name: 'Acme', support_url: 'https://support.acme.test/' },
  transaction: { state: 'preview-state', params: { 'ext-campaign': 'spring' } },
};
const form = (screen, extra = {}) => ({ action: `/u/${screen}?state=preview-state`, csrf: 'preview-csrf', ...extra });

const pages = {
  login: {
    ...base,
    screen: 'login',
    form: form('login', {
      signupUrl: '/u/signup?state=preview-state',
      forgotPasswordUrl: '/u/reset-password?state=preview-state',
    }),
  },
  'login-error': {
    ...base,
    screen: 'login',
    form: form('login', {
      email: 'jo@example.com',
      error: 'Wrong email or password',
      signupUrl: '/u/signup?state=preview-state',
      forgotPasswordUrl: '/u/reset-password?state=preview-state',
    }),
  },
  'login-branded': {
    ...base,
    screen: 'login',
    branding: { colors: { primary: '#ffb020', page_background: '#1e293b' } },
    form: form('login', { signupUrl: '/u/signup?state=preview-state' }),
  },
  signup: { ...base, screen: 'signup', form: form('signup', { loginUrl: '/u/login?state=preview-state' }) },
  consent: {
    ...base,
    screen: 'consent',
    user: { name: 'Jo Doe', email: 'jo@example.com' },
    form: form('consent', {
      audience: 'https://api.acme.test/',
      scopes: [
        { value: 'openid', description: 'Sign you in' },
        { value: 'read:items', description: 'Read your items' },
        { value: 'write:items', description: 'Create and change your items' },
        { value: 'offline_access' },
      ],
    }),
  },
  'passwordless-email': { ...base, screen: 'passwordless-email', form: form('passwordless-email') },
  'passwordless-code': {
    ...base,
    screen: 'passwordless-code',
    form: form('passwordless-code', { email: 'jo@example.com' }),
  },
  error: {
    nonce,
    screen: 'error',
    tenant: { friendly_name: 'Acme', support_email: 'help@acme.test' },
    error: { title: 'Invalid request', description: 'The callback URL is not registered for this application.' },
  },
  'logged-out': { ...base, screen: 'logged-out', returnUrl: 'https://dashboard.acme.test/' },
};

mkdirSync(out, { recursive: true });
for (const [name, context] of Object.entries(pages)) {
  const file = new URL(`${name}.html`, out);
  writeFileSync(file, await renderer.render(context));
  console.log(file.pathname);
}
