// Auth0's user search syntax (v3) as the store's filter tree: each row a query and the tree it gives, or the
// reason it is refused. (fast-check is not installed, so these are tables.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUserQuery, QuerySyntaxError } from '../../src/http/management/user-query.js';
import type { UserFilter } from '../../src/store/types.js';

const match = (field: string, value: string | number | boolean, prefix = false) =>
  ({ kind: 'match', field, value, prefix }) as UserFilter;
const meta = (column: 'app_metadata' | 'user_metadata', path: string[], value: string, prefix = false) =>
  ({ kind: 'metadata', column, path, value, prefix }) as UserFilter;
const and = (...items: UserFilter[]): UserFilter => ({ kind: 'and', items });
const or = (...items: UserFilter[]): UserFilter => ({ kind: 'or', items });
const not = (item: UserFilter): UserFilter => ({ kind: 'not', item });
const range = (
  field: string,
  from: number | undefined,
  to: number | undefined,
  fromInclusive = true,
  toInclusive = true,
) => ({ kind: 'range', field, from, to, fromInclusive, toInclusive }) as UserFilter;
const DAY = 24 * 60 * 60 * 1000;

test('queries Gatehouse answers, and the filter each gives', () => {
  const table: [string, UserFilter | undefined][] = [
    ['', undefined],
    ['   ', undefined],
    ['*', undefined],
    ['email:jane@acme.test', match('email', 'jane@acme.test')],
    ['email:"jane@acme.test"', match('email', 'jane@acme.test')],
    ['email:jan*', match('email', 'jan', true)],
    ['email:"jan*"', match('email', 'jan*')],
    ['user_id:"auth0|abc-123"', match('user_id', 'auth0|abc-123')],
    ['user_id:auth0\\|abc', match('user_id', 'auth0|abc')],
    ['name:"jane smith"', match('name', 'jane smith')],
    ['name:"say \\"hi\\""', match('name', 'say "hi"')],
    ['email_verified:true', match('email_verified', true)],
    ['blocked:false', match('blocked', false)],
    ['logins_count:3', match('logins_count', 3)],
    [
      'identities.connection:"Username-Password-Authentication"',
      match('connection', 'Username-Password-Authentication'),
    ],
    ['app_metadata.plan:gold', meta('app_metadata', ['plan'], 'gold')],
    ['app_metadata.subscription.plan:"gold plus"', meta('app_metadata', ['subscription', 'plan'], 'gold plus')],
    ['user_metadata.hobby:surf*', meta('user_metadata', ['hobby'], 'surf', true)],
    ['email:a* AND name:b', and(match('email', 'a', true), match('name', 'b'))],
    ['email:a && name:b', and(match('email', 'a'), match('name', 'b'))],
    ['email:a OR email:b', or(match('email', 'a'), match('email', 'b'))],
    ['email:a email:b', or(match('email', 'a'), match('email', 'b'))],
    ['email:a OR email:b AND name:c', or(match('email', 'a'), and(match('email', 'b'), match('name', 'c')))],
    ['(email:a OR email:b) AND name:c', and(or(match('email', 'a'), match('email', 'b')), match('name', 'c'))],
    ['NOT blocked:true', not(match('blocked', true))],
    ['email:a* -email:ab*', and(match('email', 'a', true), not(match('email', 'ab', true)))],
    ['email:a* AND NOT name:x', and(match('email', 'a', true), not(match('name', 'x')))],
    // Ranges: a bare date as an upper end (or an exclusive lower end) reaches to the end of that day.
    [
      'created_at:[2026-01-01 TO 2026-01-31]',
      range('created_at', Date.parse('2026-01-01'), Date.parse('2026-01-31') + DAY - 1),
    ],
    ['logins_count:{1 TO *]', range('logins_count', 1, undefined, false, true)],
    [
      'last_login:[* TO 2026-01-01T12:00:00Z}',
      range('last_login', undefined, Date.parse('2026-01-01T12:00:00Z'), true, false),
    ],
    [
      'email:a* AND updated_at:{2026-03-01 TO *]',
      and(match('email', 'a', true), range('updated_at', Date.parse('2026-03-01') + DAY - 1, undefined, false)),
    ],
    [
      'jane',
      or(...['email', 'name', 'given_name', 'family_name', 'nickname', 'username'].map((f) => match(f, 'jane'))),
    ],
  ];
  for (const [q, expected] of table) assert.deepEqual(parseUserQuery(q), expected, q);
});

test('queries refused, with the reason', () => {
  const table: [string, RegExp][] = [
    ['email:"open', /quoted value is not closed/],
    ['email:', /has no value/],
    [':x', /no field name/],
    ['password_hash:x', /password_hash is not a searchable field/],
    ['email:*@acme.test', /wildcards are supported only at the end/],
    ['email:j?ne', /wildcards are supported only at the end/],
    ['name:*', /wildcards/],
    ['email_verified:yes', /takes true or false/],
    ['logins_count:many', /whole number/],
    ['email:[a TO b]', /email cannot take a range/],
    ['created_at:[yesterday TO *]', /ISO 8601 dates/],
    ['logins_count:[1 TO many]', /whole numbers/],
    ['app_metadata.a"b:x', /./],
    ['app_metadata.a..b:x', /metadata path/],
    ['(email:a', /parenthesis is not closed/],
    ['email:a)', /unexpected "\)"/],
    ['AND email:a', /unexpected AND/],
    ['email:a AND', /ends where a term was expected/],
    ['name:jane~', /not a supported value/],
    [`${'('.repeat(30)}email:a${')'.repeat(30)}`, /nested too deeply/],
    [Array.from({ length: 51 }, (_, i) => `email:a${i}`).join(' OR '), /at most 50 terms/],
  ];
  for (const [q, reason] of table) {
    assert.throws(
      () => parseUserQuery(q),
      (error: unknown) => error instanceof QuerySyntaxError && reason.test(error.message),
      q,
    );
  }
});

test('any printable query either parses or is refused with a QuerySyntaxError, never anything else', () => {
  // A deterministic sweep over short strings of the characters that matter to the grammar.
  const alphabet = ['a', ':', '"', '*', '(', ')', ' ', '\\', '-', '!', 'AND', 'OR', 'NOT', 'email', '.', '?'];
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let n = 0; n < 5000; n++) {
    const q = Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('');
    try {
      parseUserQuery(q);
    } catch (error) {
      assert.ok(error instanceof QuerySyntaxError, `${JSON.stringify(q)}: ${String(error)}`);
    }
  }
});
