// What changed between two exports of a tenant (export.ts): per object, created, updated (with the fields that
// differ) or deleted. Values are never shown: a client secret's change is the field name only.
import { canonical } from './canonical.js';
import type { TenantFile } from './parse.js';

export interface Change {
  action: 'create' | 'update' | 'delete';
  /** The kind in the singular, as the output names it: client, resource server, … */
  kind: string;
  /** The object's key; empty for the tenant settings and the branding. */
  key: string;
  /** For an update: the top-level fields that differ. */
  fields: string[];
}

type Entry = Record<string, unknown>;

/** Each listed kind with its singular name and key, in the order the output lists them. */
const kinds: [keyof TenantFile, string, (o: Entry) => string][] = [
  ['resource_servers', 'resource server', (o) => String(o.identifier)],
  ['clients', 'client', (o) => String(o.client_id)],
  ['client_grants', 'client grant', (o) => `${o.client_id} → ${o.audience}`],
  ['connections', 'connection', (o) => String(o.name)],
  ['users', 'user', (o) => `${o.email} (${o.connection})`],
  ['roles', 'role', (o) => String(o.name)],
  ['email_templates', 'email template', (o) => String(o.template)],
];

function differing(before: Entry, after: Entry): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((name) => canonical(before[name]) !== canonical(after[name]));
}

export function diffTenants(before: TenantFile, after: TenantFile): Change[] {
  const changes: Change[] = [];
  for (const single of ['tenant', 'branding'] as const) {
    const fields = differing((before[single] ?? {}) as Entry, (after[single] ?? {}) as Entry);
    if (fields.length)
      changes.push({ action: 'update', kind: single === 'tenant' ? 'tenant settings' : single, key: '', fields });
  }
  for (const [list, kind, keyOf] of kinds) {
    const old = new Map(((before[list] ?? []) as Entry[]).map((o) => [keyOf(o), o]));
    const now = new Map(((after[list] ?? []) as Entry[]).map((o) => [keyOf(o), o]));
    for (const [key, o] of now) {
      const was = old.get(key);
      if (!was) changes.push({ action: 'create', kind, key, fields: [] });
      else {
        const fields = differing(was, o);
        if (fields.length) changes.push({ action: 'update', kind, key, fields });
      }
    }
    for (const key of old.keys()) if (!now.has(key)) changes.push({ action: 'delete', kind, key, fields: [] });
  }
  return changes;
}

/** `update client acme-web: callbacks, name` */
export function describeChange(change: Change): string {
  const object = change.key ? `${change.kind} ${change.key}` : change.kind;
  return change.fields.length
    ? `${change.action} ${object}: ${change.fields.join(', ')}`
    : `${change.action} ${object}`;
}
