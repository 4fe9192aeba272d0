// The e-mails' Liquid templates (Auth0 docs, "Customize Email Templates" and "Email Template Descriptions"):
// each kind has a subject, an HTML body and a plain-text body. The Management API replaces a template's subject
// and HTML body (/api/v2/email-templates); the passwordless e-mail is the `email` connection's options.email
// (Auth0 docs, "Passwordless Connections"). A replaced HTML body has its plain-text part made from the HTML.
//
// Variables come from the flows and may hold what a user typed (a name): HTML output is escaped
// (outputEscape), and no template reaches a file (an empty in-memory file system).
import { Liquid } from 'liquidjs';
import type { EmailTemplate } from '../store/types.js';
import type { EmailKind, EmailTemplateName } from './messages.js';
import { htmlToText } from './text.js';

interface Source {
  subject: string;
  html: string;
  text: string;
}

const paragraph = (text: string) => `<p style="margin:0 0 16px">${text}</p>`;
const button = (href: string, label: string) =>
  `<p style="margin:24px 0"><a href="${href}" style="background:#635dff;color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none">${label}</a></p>`;
const page = (body: string) =>
  `<html><body style="font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;color:#1e212a;max-width:560px;margin:0 auto;padding:24px">${body}</body></html>`;

/** The defaults, in the wording of Auth0's default templates. */
export const defaultSources: Record<EmailKind, Source> = {
  verify_email: {
    subject: 'Verify your email',
    html: page(
      paragraph('Welcome to {{ application.name }}!') +
        paragraph('Thank you for signing up. Please verify your email address by clicking the following link:') +
        button('{{ url }}', 'Confirm my account') +
        paragraph(
          "If you are having any issues with your account, please don't hesitate to contact us by replying to this mail.",
        ) +
        paragraph('Thanks!'),
    ),
    text: [
      'Welcome to {{ application.name }}!',
      '',
      'Thank you for signing up. Please verify your email address by opening the following link:',
      '',
      '{{ url }}',
      '',
      "If you are having any issues with your account, please don't hesitate to contact us by replying to this mail.",
      '',
      'Thanks!',
    ].join('\n'),
  },
  reset_email: {
    subject: 'Reset your password',
    html: page(
      paragraph(
        'We received a request to reset the password of your {{ application.name }} account ({{ user.email }}).',
      ) +
        paragraph('To choose a new password, click the following link:') +
        button('{{ url }}', 'Reset password') +
        paragraph("If you didn't request a password reset, you can ignore this email: your password stays as it is.") +
        paragraph('Thanks!'),
    ),
    text: [
      'We received a request to reset the password of your {{ application.name }} account ({{ user.email }}).',
      '',
      'To choose a new password, open the following link:',
      '',
      '{{ url }}',
      '',
      "If you didn't request a password reset, you can ignore this email: your password stays as it is.",
      '',
      'Thanks!',
    ].join('\n'),
  },
  welcome_email: {
    subject: 'Welcome to {{ application.name }}',
    html: page(
      paragraph('Welcome to {{ application.name }}!') +
        paragraph('Thank you for signing up. Your account {{ user.email }} is ready.') +
        paragraph('Thanks!'),
    ),
    text: [
      'Welcome to {{ application.name }}!',
      '',
      'Thank you for signing up. Your account {{ user.email }} is ready.',
      '',
      'Thanks!',
    ].join('\n'),
  },
  blocked_account: {
    subject: 'Unusual sign-in activity detected',
    html: page(
      paragraph('We detected suspicious activity on your account {{ user.email }}: too many failed sign-in attempts.') +
        paragraph('Your account has been blocked to protect it. To unblock it, click the following link:') +
        button('{{ url }}', 'Unblock my account') +
        paragraph('If this was you, you may also want to reset your password.'),
    ),
    text: [
      'We detected suspicious activity on your account {{ user.email }}: too many failed sign-in attempts.',
      '',
      'Your account has been blocked to protect it. To unblock it, open the following link:',
      '',
      '{{ url }}',
      '',
      'If this was you, you may also want to reset your password.',
    ].join('\n'),
  },
  passwordless: {
    subject: 'Welcome to {{ application.name }}',
    html: page(
      '{% if link %}' +
        paragraph('Click the link below to sign in to {{ application.name }}. The link can be used once.') +
        button('{{ link }}', 'Sign in') +
        paragraph('If you did not ask to sign in, you can ignore this email.') +
        '{% else %}' +
        paragraph('Your verification code is:') +
        '<p style="margin:0 0 16px;font-size:28px;letter-spacing:4px"><b>{{ code }}</b></p>' +
        paragraph(
          'Enter it to sign in to {{ application.name }}. If you did not ask for it, you can ignore this email.',
        ) +
        '{% endif %}',
    ),
    // Only the code is a six-digit number here: mail clients and tests pick the code out of the text.
    text: [
      '{% if link %}Open this link to sign in to {{ application.name }} (it can be used once):',
      '',
      '{{ link }}{% else %}Your verification code is: {{ code }}',
      '',
      'Enter it to sign in to {{ application.name }}.{% endif %}',
      '',
      'If you did not ask to sign in, you can ignore this email.',
    ].join('\n'),
  },
};

/** Auth0's fields of a template never replaced. */
export function defaultTemplate(name: EmailTemplateName, from: string): EmailTemplate {
  return {
    template: name,
    body: defaultSources[name].html,
    from,
    subject: defaultSources[name].subject,
    resultUrl: null,
    urlLifetimeInSeconds: null,
    includeEmailInRedirect: true,
    enabled: true,
  };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const limits = {
  // An empty in-memory file system: include, render and layout reach no file.
  templates: {},
  ownPropertyOnly: true,
  parseLimit: 1_000_000,
  renderLimit: 1_000,
  memoryLimit: 64 * 1024 * 1024,
};

export interface EmailLiquid {
  /** The template's text when Liquid can parse it, else the reason. */
  check(source: string): string | undefined;
  render(source: { subject: string; html: string; text?: string }, variables: object): Promise<RenderedEmail>;
}

export function createEmailLiquid(): EmailLiquid {
  const html = new Liquid({ ...limits, outputEscape: 'escape' });
  const plain = new Liquid(limits);
  return {
    check(source) {
      try {
        html.parse(source);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    async render(source, variables) {
      const [subject, body, text] = await Promise.all([
        plain.parseAndRender(source.subject, variables),
        html.parseAndRender(source.html, variables),
        source.text === undefined ? undefined : plain.parseAndRender(source.text, variables),
      ]);
      // A subject is one header line (RFC 5322 §2.2): no line breaks from a variable.
      return { subject: subject.replace(/\s+/g, ' ').trim(), html: body, text: text ?? htmlToText(body) };
    },
  };
}
