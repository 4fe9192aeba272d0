// Users in Auth0's export format (Auth0 docs: "Bulk User Exports"): one JSON object a line, or CSV with a header
// row, with the fields asked for (`name` a user attribute, dotted for metadata, `export_as` the column's title).
// Without fields every attribute the user has is written. Password hashes only when asked for (the CLI's
// --with-hashes; never the API), written as Auth0's bulk import takes them, so that an export imports back.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { importableHash } from '../crypto/imported-hashes.js';
import type { StoredUser, UserStore } from '../store/types.js';

export const exportFormats = ['ndjson', 'json', 'csv'] as const;
/** `json` is Auth0's name for NDJSON. */
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportField {
  name: string;
  export_as?: string;
}

export interface ExportOptions {
  connection?: string;
  format: ExportFormat;
  fields?: ExportField[];
  withHashes: boolean;
  limit?: number;
}

const PAGE = 1000;
const FIELD = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$/;

/** The fields as given, or why they are refused. */
export function parseExportFields(fields: ExportField[]): ExportField[] | string {
  for (const field of fields) if (!FIELD.test(field.name)) return `Invalid field name: ${field.name}`;
  return fields;
}

/** The user as Auth0's export writes it: ISO times, `auth0|` ids, its identity; absent attributes left out. */
export function exportedUser(user: StoredUser, withHashes: boolean): Record<string, unknown> {
  const iso = (at: number | null) => (at === null ? undefined : new Date(Number(at)).toISOString());
  const view: Record<string, unknown> = {
    user_id: user.user_id,
    email: user.email,
    email_verified: user.email_verified,
    username: user.username,
    phone_number: user.phone_number,
    phone_verified: user.phone_number ? user.phone_verified : undefined,
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    nickname: user.nickname,
    picture: user.picture,
    blocked: user.blocked || undefined,
    user_metadata: Object.keys(user.user_metadata).length ? user.user_metadata : undefined,
    app_metadata: Object.keys(user.app_metadata).length ? user.app_metadata : undefined,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    last_login: iso(user.last_login),
    last_ip: user.last_ip,
    logins_count: user.logins_count,
    identities: [
      {
        connection: user.connection,
        user_id: user.user_id.replace(/^auth0\|/, ''),
        provider: 'auth0',
        isSocial: false,
      },
    ],
    ...(withHashes && user.password_hash ? importableHash(user.password_hash) : {}),
  };
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== null && value !== undefined));
}

function pick(view: Record<string, unknown>, name: string): unknown {
  let value: unknown = view;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** RFC 4180 §2: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Auth0's default CSV columns when none are named. */
const CSV_DEFAULT = [
  'user_id',
  'email',
  'email_verified',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'created_at',
  'updated_at',
];

async function write(out: Writable, text: string) {
  if (!out.write(text)) await once(out, 'drain');
}

/** Writes the users, a page at a time (bounded memory whatever their number); returns how many. */
export async function exportUsers(
  users: Pick<UserStore, 'listAfter'>,
  out: Writable,
  options: ExportOptions,
): Promise<number> {
  const csv = options.format === 'csv';
  const fields: ExportField[] | undefined = options.fields ?? (csv ? CSV_DEFAULT.map((name) => ({ name })) : undefined);
  if (csv) await write(out, `${fields!.map((field) => csvCell(field.export_as ?? field.name)).join(',')}\r\n`);
  let written = 0;
  let after: string | undefined;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  while (written < limit) {
    const page = await users.listAfter(options.connection, after, Math.min(PAGE, limit - written));
    if (!page.length) break;
    let text = '';
    for (const user of page) {
      const view = exportedUser(user, options.withHashes);
      if (csv) text += `${fields!.map((field) => csvCell(pick(view, field.name))).join(',')}\r\n`;
      else if (!fields) text += `${JSON.stringify(view)}\n`;
      else {
        const row: Record<string, unknown> = {};
        for (const field of fields) {
          const value = pick(view, field.name);
          if (value !== undefined) row[field.export_as ?? field.name] = value;
        }
        text += `${JSON.stringify(row)}\n`;
      }
    }
    await write(out, text);
    written += page.length;
    after = page[page.length - 1].user_id;
  }
  return written;
}
