// Auth0's user search query syntax, version 3 (Auth0 docs "User Search Query Syntax"), the part Gatehouse
// answers: `field:value` terms with values bare or "quoted", a trailing `*` for a prefix, AND / OR / NOT
// (capitalised, as Auth0 requires; also && || ! and a leading -), parentheses, and Lucene's default operator
// between terms (OR, a NOT clause excluding), and ranges on the dates and logins_count (`created_at:[2026-01-01 TO *]`,
// `[` `]` inclusive, `{` `}` exclusive, `*` open). It produces the store's filter tree; anything else is a QuerySyntaxError (400).
import {
  type UserFilter,
  type UserRangeField,
  type UserSearchField,
  userRangeFields,
  userSearchFields,
} from '../../store/types.js';

export class QuerySyntaxError extends Error {}

type Token =
  | { kind: 'open' | 'close' | 'and' | 'or' | 'not' }
  | { kind: 'term'; field: string | undefined; value: string; quoted: boolean }
  | { kind: 'range'; field: string; from: string; to: string; fromInclusive: boolean; toInclusive: boolean };

/** `field:[from TO to]`, with `{` `}` for exclusive ends (Lucene range queries, which Auth0's search takes). */
const RANGE = /^([A-Za-z_.]+):([[{])\s*(\S+)\s+TO\s+(\S+?)\s*([\]}])/;

/** Bounds, so that a query cannot make the SQL (or the recursion) arbitrarily large. */
const MAX_TERMS = 50;
const MAX_DEPTH = 20;

const operators: Record<string, Token['kind']> = {
  AND: 'and',
  '&&': 'and',
  OR: 'or',
  '||': 'or',
  NOT: 'not',
  '!': 'not',
};
/** Fields named otherwise in the query than in the store. */
const aliases: Record<string, UserSearchField> = { 'identities.connection': 'connection' };
/** The normalized profile fields a term without a field name looks in (Auth0: never metadata). */
const anyField: UserSearchField[] = ['email', 'name', 'given_name', 'family_name', 'nickname', 'username'];

function readQuoted(q: string, from: number): { value: string; end: number } {
  let value = '';
  for (let i = from + 1; i < q.length; i++) {
    if (q[i] === '\\' && i + 1 < q.length) value += q[++i];
    else if (q[i] === '"') return { value, end: i + 1 };
    else value += q[i];
  }
  throw new QuerySyntaxError('a quoted value is not closed');
}

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) i++;
    else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close' });
      i++;
    } else if (c === '-' || (c === '!' && q[i + 1] !== '=')) {
      tokens.push({ kind: 'not' });
      i++;
    } else if (RANGE.test(q.slice(i, i + 200))) {
      const [whole, field, open, from, to, close] = RANGE.exec(q.slice(i, i + 200))!;
      tokens.push({ kind: 'range', field, from, to, fromInclusive: open === '[', toInclusive: close === ']' });
      i += whole.length;
    } else if (c === '"') {
      const { value, end } = readQuoted(q, i);
      tokens.push({ kind: 'term', field: undefined, value, quoted: true });
      i = end;
    } else {
      // A word: up to white space, a parenthesis or a quote; `field:` then takes the value that follows.
      let word = '';
      while (i < q.length && !/[\s()"]/.test(q[i])) {
        if (q[i] === '\\' && i + 1 < q.length) word += `\\${q[++i]}`;
        else word += q[i];
        i++;
      }
      // Own keys only: a bare term such as `constructor` or `__proto__` is a value, not an operator.
      if (Object.hasOwn(operators, word)) {
        tokens.push({ kind: operators[word] } as Token);
        continue;
      }
      const colon = word.search(/(?<!\\):/);
      if (colon < 0) {
        tokens.push({ kind: 'term', field: undefined, value: word, quoted: false });
        continue;
      }
      const field = word.slice(0, colon);
      const rest = word.slice(colon + 1);
      if (!field) throw new QuerySyntaxError('a term has no field name before ":"');
      if (rest === '' && q[i] === '"') {
        const { value, end } = readQuoted(q, i);
        tokens.push({ kind: 'term', field, value, quoted: true });
        i = end;
      } else if (rest === '') {
        throw new QuerySyntaxError(`the field ${field} has no value`);
      } else tokens.push({ kind: 'term', field, value: rest, quoted: false });
    }
  }
  return tokens;
}

/** A bare value: backslash escapes taken literally; one `*` at the end makes it a prefix. */
function bareValue(raw: string): { value: string; prefix: boolean } {
  let value = '';
  let prefix = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) value += raw[++i];
    else if (raw[i] === '*' && i === raw.length - 1 && value !== '') prefix = true;
    else if (raw[i] === '*' || raw[i] === '?')
      throw new QuerySyntaxError('wildcards are supported only at the end of a value (a prefix search)');
    else if (raw[i] === ':' || raw[i] === '[' || raw[i] === '{' || raw[i] === '~' || raw[i] === '^')
      throw new QuerySyntaxError(`"${raw}" is not a supported value (ranges, fuzzy and boosted terms are not)`);
    else value += raw[i];
  }
  return { value, prefix };
}

function termFilter(token: Extract<Token, { kind: 'term' }>): UserFilter {
  const { value, prefix } = token.quoted ? { value: token.value, prefix: false } : bareValue(token.value);
  if (token.field === undefined)
    return { kind: 'or', items: anyField.map((field) => ({ kind: 'match', field, value, prefix })) };
  const metadata = /^(app_metadata|user_metadata)\.(.+)$/.exec(token.field);
  if (metadata) {
    const path = metadata[2].split('.');
    if (!path.every((key) => /^[A-Za-z0-9_-]{1,100}$/.test(key)))
      throw new QuerySyntaxError(`${token.field} is not a metadata path of letters, digits, _ and -`);
    return { kind: 'metadata', column: metadata[1] as 'app_metadata' | 'user_metadata', path, value, prefix };
  }
  const field = Object.hasOwn(aliases, token.field) ? aliases[token.field] : (token.field as UserSearchField);
  if (!userSearchFields.includes(field)) throw new QuerySyntaxError(`${token.field} is not a searchable field`);
  if (field === 'email_verified' || field === 'blocked') {
    if (prefix || (value !== 'true' && value !== 'false')) throw new QuerySyntaxError(`${field} takes true or false`);
    return { kind: 'match', field, value: value === 'true', prefix: false };
  }
  if (field === 'logins_count') {
    if (prefix || !/^\d{1,15}$/.test(value)) throw new QuerySyntaxError('logins_count takes a whole number');
    return { kind: 'match', field, value: Number(value), prefix: false };
  }
  return { kind: 'match', field, value, prefix };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * One end of a range: `*` is open; a date is an ISO 8601 date or date-time. A date without a time that rounds up
 * (the inclusive upper end, the exclusive lower end) means the end of that day, as Elasticsearch reads it.
 */
function rangeEnd(field: UserRangeField, raw: string, roundsUp: boolean): number | undefined {
  if (raw === '*') return undefined;
  if (field === 'logins_count') {
    if (!/^\d{1,15}$/.test(raw)) throw new QuerySyntaxError('logins_count ranges take whole numbers');
    return Number(raw);
  }
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(at)) throw new QuerySyntaxError(`${field} ranges take ISO 8601 dates, not "${raw}"`);
  return roundsUp && raw.length === 10 ? at + DAY_MS - 1 : at;
}

function rangeFilter(token: Extract<Token, { kind: 'range' }>): UserFilter {
  const field = token.field as UserRangeField;
  if (!userRangeFields.includes(field))
    throw new QuerySyntaxError(`${token.field} cannot take a range (only ${userRangeFields.join(', ')})`);
  const from = rangeEnd(field, token.from, !token.fromInclusive);
  const to = rangeEnd(field, token.to, token.toInclusive);
  return { kind: 'range', field, from, to, fromInclusive: token.fromInclusive, toInclusive: token.toInclusive };
}

/** Parses `q`; an empty query (or `*`) is no filter. */
export function parseUserQuery(q: string): UserFilter | undefined {
  const tokens = tokenize(q);
  if (tokens.length === 0) return undefined;
  if (tokens.length === 1 && tokens[0].kind === 'term' && !tokens[0].field && tokens[0].value === '*') return undefined;
  if (tokens.filter((t) => t.kind === 'term' || t.kind === 'range').length > MAX_TERMS)
    throw new QuerySyntaxError(`a query has at most ${MAX_TERMS} terms`);
  let at = 0;
  const peek = () => tokens[at]?.kind;

  const combine = (kind: 'and' | 'or', items: UserFilter[]): UserFilter =>
    items.length === 1 ? items[0] : { kind, items };

  function disjunction(depth: number): UserFilter {
    if (depth > MAX_DEPTH) throw new QuerySyntaxError('parentheses are nested too deeply');
    const items = [conjunction(depth)];
    // Lucene's default operator: terms side by side are OR'ed.
    while (peek() === 'or' || peek() === 'term' || peek() === 'range' || peek() === 'open' || peek() === 'not') {
      if (peek() === 'or') at++;
      items.push(conjunction(depth));
    }
    // Lucene: a NOT clause is prohibited, not optional: `a b -c` is (a OR b) AND NOT c.
    const excluded = items.filter((item) => item.kind === 'not');
    const included = items.filter((item) => item.kind !== 'not');
    if (!included.length || !excluded.length) return combine(included.length ? 'or' : 'and', items);
    return { kind: 'and', items: [combine('or', included), ...excluded] };
  }
  function conjunction(depth: number): UserFilter {
    const items = [unary(depth)];
    while (peek() === 'and') {
      at++;
      items.push(unary(depth));
    }
    return combine('and', items);
  }
  function unary(depth: number): UserFilter {
    if (peek() === 'not') {
      at++;
      return { kind: 'not', item: unary(depth + 1) };
    }
    return primary(depth);
  }
  function primary(depth: number): UserFilter {
    const token = tokens[at++];
    if (!token) throw new QuerySyntaxError('the query ends where a term was expected');
    if (token.kind === 'open') {
      const inner = disjunction(depth + 1);
      if (tokens[at++]?.kind !== 'close') throw new QuerySyntaxError('a parenthesis is not closed');
      return inner;
    }
    if (token.kind === 'term') return termFilter(token);
    if (token.kind === 'range') return rangeFilter(token);
    throw new QuerySyntaxError(`unexpected ${token.kind === 'close' ? '")"' : token.kind.toUpperCase()}`);
  }

  const filter = disjunction(0);
  if (at < tokens.length) throw new QuerySyntaxError('unexpected ")"');
  return filter;
}
