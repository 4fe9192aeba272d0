// A user search (types.ts UserFilter) as a WHERE clause for SQLite and PostgreSQL. Every value is a bound
// parameter; the only text taken from the filter into the SQL is a JSON path, whose keys are checked first.
//
// Prefix matches are written so that an index serves them: SQLite's GLOB on a BINARY column and PostgreSQL's
// LIKE on a text_pattern_ops index become range scans (SQLite "The LIKE Optimization"; PostgreSQL "Operator
// Classes and Operator Families"). Metadata is stored as JSON text: SQLite reads it with its JSON functions,
// PostgreSQL through a jsonb cast.
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { UserFilter, UserSearchField } from '../types.js';
import type { Dialect } from './db.js';

type Condition = RawBuilder<SqlBool>;

/** Auth0 user search v3: the normalized profile fields are matched case-insensitively (e-mails are stored lower-case). */
const foldedCase = new Set<UserSearchField>(['name', 'given_name', 'family_name', 'nickname']);
const booleans = new Set<UserSearchField>(['email_verified', 'blocked']);
const METADATA_KEY = /^[A-Za-z0-9_-]{1,100}$/;

const globPattern = (prefix: string) => `${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`;
const likePattern = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function startsWith(dialect: Dialect, value: Expression<unknown>, prefix: string): Condition {
  return dialect === 'sqlite'
    ? sql<SqlBool>`${value} glob ${globPattern(prefix)}`
    : sql<SqlBool>`${value} like ${likePattern(prefix)}`;
}

function matchField(dialect: Dialect, field: UserSearchField, value: string | number | boolean, prefix: boolean) {
  if (booleans.has(field)) return sql<SqlBool>`${sql.ref(field)} = ${value === true ? 1 : 0}`;
  if (field === 'logins_count') return sql<SqlBool>`logins_count = ${Number(value)}`;
  const text = String(value);
  if (field === 'email.domain') {
    // The part after the last @: a suffix, so no index helps; e-mails are stored lower-case.
    const domain = text.toLowerCase();
    return prefix
      ? sql<SqlBool>`email like ${`%@${likePattern(domain)}`} escape '\\'`
      : sql<SqlBool>`email like ${`%@${likePattern(domain).slice(0, -1)}`} escape '\\'`;
  }
  const folded = field === 'email' || foldedCase.has(field);
  const wanted = folded ? text.toLowerCase() : text;
  const column = foldedCase.has(field) ? sql`lower(${sql.ref(field)})` : sql.ref(field);
  return prefix ? startsWith(dialect, column, wanted) : sql<SqlBool>`${column} = ${wanted}`;
}

/** The JSON texts a metadata value matches: a string, and true/false or a number when it reads as one. */
function jsonCandidates(value: string): string[] {
  const out = [JSON.stringify(value)];
  if (value === 'true' || value === 'false') out.push(value);
  if (/^-?\d+(\.\d+)?$/.test(value) && Number.isFinite(Number(value))) out.push(JSON.stringify(Number(value)));
  return out;
}

function matchMetadata(dialect: Dialect, filter: Extract<UserFilter, { kind: 'metadata' }>): Condition {
  if (!filter.path.length || !filter.path.every((key) => METADATA_KEY.test(key)))
    throw new Error('metadata path keys must be letters, digits, _ or -');
  const column = sql.ref(filter.column);
  if (dialect === 'sqlite') {
    const path = `$${filter.path.map((key) => `."${key}"`).join('')}`;
    if (filter.prefix)
      return sql<SqlBool>`(json_type(${column}, ${path}) = 'text' and json_extract(${column}, ${path}) glob ${globPattern(filter.value)})`;
    const candidates = jsonCandidates(filter.value).map((c) => sql`${c}`);
    return sql<SqlBool>`(${column} -> ${path}) in (${sql.join(candidates)})`;
  }
  const at = sql`(${column}::jsonb #> ${filter.path}::text[])`;
  if (filter.prefix)
    return sql<SqlBool>`(jsonb_typeof(${at}) = 'string' and (${column}::jsonb #>> ${filter.path}::text[]) like ${likePattern(filter.value)})`;
  const candidates = jsonCandidates(filter.value).map((c) => sql`${c}::jsonb`);
  return sql<SqlBool>`${at} in (${sql.join(candidates)})`;
}

export function whereOf(dialect: Dialect, filter: UserFilter): Condition {
  switch (filter.kind) {
    case 'and':
    case 'or': {
      const parts = filter.items.map((item) => whereOf(dialect, item));
      return sql<SqlBool>`(${sql.join(parts, filter.kind === 'and' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      // SQL's NOT of a NULL comparison is NULL: a user without the field is "not" matched either way, so
      // coalesce to false first, as Lucene's NOT keeps documents without the field.
      return sql<SqlBool>`not coalesce(${whereOf(dialect, filter.item)}, false)`;
    case 'match':
      return matchField(dialect, filter.field, filter.value, filter.prefix);
    case 'metadata':
      return matchMetadata(dialect, filter);
    case 'range': {
      // A missing bound is open; a user without the field (no last_login yet) is in no range.
      const column = sql.ref(filter.field);
      const bounds: Condition[] = [sql<SqlBool>`${column} is not null`];
      if (filter.from !== undefined)
        bounds.push(
          filter.fromInclusive ? sql<SqlBool>`${column} >= ${filter.from}` : sql<SqlBool>`${column} > ${filter.from}`,
        );
      if (filter.to !== undefined)
        bounds.push(
          filter.toInclusive ? sql<SqlBool>`${column} <= ${filter.to}` : sql<SqlBool>`${column} < ${filter.to}`,
        );
      return sql<SqlBool>`(${sql.join(bounds, sql` and `)})`;
    }
  }
}
