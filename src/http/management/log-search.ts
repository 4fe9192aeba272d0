// The log search's `q` (Auth0 docs, "Log Search Query Syntax"): terms joined by AND (or a space), each
// `field:value`, a value bare or "quoted", `type:(s OR f)` for several types, and `date:[FROM TO TO]` with
// ISO dates or `*` for an open end. A date without a time as the upper end takes in that whole day.
import type { LogFilter } from '../../store/types.js';
import { ManagementError } from './errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const term = /^\s*(\w+):(?:"([^"]*)"|\(([^)]*)\)|\[([^\]]*)\]|([^\s()[\]"]+))/;
const exactFields = ['user_id', 'client_id', 'connection', 'ip'] as const;

const invalid = (why: string) => new ManagementError(400, `Query validation error: ${why}.`, 'invalid_query_string');

function dateOf(text: string, end: boolean): number | undefined {
  if (text === '*') return undefined;
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at)) throw invalid(`'${text}' is not a date`);
  // A bare day as the upper end means up to the end of that day.
  return end && /^\d{4}-\d{2}-\d{2}$/.test(text) ? at + DAY_MS : end ? at + 1 : at;
}

export function parseLogQuery(q: string, since: number): LogFilter {
  const filter: LogFilter = { since };
  let rest = q.trim();
  while (rest) {
    const match = term.exec(rest);
    if (!match) throw invalid(`cannot parse '${rest.slice(0, 40)}'`);
    const [whole, field, quoted, group, range, bare] = match;
    rest = rest.slice(whole.length).replace(/^\s*(AND\s+)?/, '');
    if (field === 'type') {
      const types = group !== undefined ? group.split(/\s+OR\s+|\s+/).filter(Boolean) : [quoted ?? bare ?? ''];
      filter.types = filter.types ? filter.types.filter((t) => types.includes(t)) : types;
      if (!filter.types.length) filter.types = ['-'];
    } else if (field === 'date') {
      const bounds = range === undefined ? undefined : /^\s*(\S+)\s+TO\s+(\S+)\s*$/.exec(range);
      if (!bounds) throw invalid('date takes a range: date:[2026-01-01 TO 2026-12-31]');
      filter.from = dateOf(bounds[1], false);
      filter.to = dateOf(bounds[2], true);
    } else if ((exactFields as readonly string[]).includes(field)) {
      const value = quoted ?? bare;
      if (value === undefined) throw invalid(`${field} takes one value`);
      filter[field as (typeof exactFields)[number]] = value;
    } else {
      throw invalid(`the field '${field}' cannot be searched (type, user_id, client_id, connection, ip, date)`);
    }
  }
  return filter;
}
