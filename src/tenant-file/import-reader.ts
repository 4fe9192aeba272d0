// Reads a users file one user at a time, whatever its size: a JSON array (Auth0's bulk import format) or NDJSON
// (Auth0's export and its password-hash export), told apart by the first character that is not white space.
// Only one element's text is held at a time, so memory stays bounded; an element that is not JSON is handed on
// as such, so that the import reports it and goes on with the rest.

/** One element of the file: its JSON value, or the text that did not parse. */
export type ImportElement = { value: unknown } | { invalid: string; reason: string };

/** The largest element accepted (one user): a longer one is reported, and skipped. */
const MAX_ELEMENT = 1024 * 1024;

function element(text: string): ImportElement {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { invalid: text.slice(0, 200), reason: (error as Error).message };
  }
}

/** Splits a JSON array's top level: the text of each element, tracking strings and nesting. */
async function* arrayElements(chunks: AsyncIterable<string>, first: string): AsyncGenerator<ImportElement> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current: string[] = [];
  let size = 0;
  let ended = false;
  const flush = function* () {
    const text = current.join('').trim();
    current = [];
    if (size > MAX_ELEMENT) yield { invalid: text.slice(0, 200), reason: `longer than ${MAX_ELEMENT} bytes` };
    else if (text) yield element(text);
    size = 0;
  };
  for await (const chunk of prepend(first, chunks)) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (ended) {
        if (!/\s/.test(c)) throw new SyntaxError('the users file has text after the end of its JSON array');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') {
        depth++;
        if (depth === 1) start = i + 1;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          const tail = chunk.slice(start, i);
          current.push(tail);
          size += tail.length;
          yield* flush();
          ended = true;
          start = i + 1;
        }
      } else if (c === ',' && depth === 1) {
        const tail = chunk.slice(start, i);
        if (size <= MAX_ELEMENT) current.push(tail);
        size += tail.length;
        yield* flush();
        start = i + 1;
      }
    }
    if (!ended && depth >= 1) {
      const tail = chunk.slice(start);
      if (size <= MAX_ELEMENT) current.push(tail);
      size += tail.length;
    }
  }
  if (!ended) throw new SyntaxError('the users file ends inside its JSON array');
}

/** One JSON value a line; blank lines are skipped. */
async function* lineElements(chunks: AsyncIterable<string>, first: string): AsyncGenerator<ImportElement> {
  let pending = '';
  for await (const chunk of prepend(first, chunks)) {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield element(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_ELEMENT) {
      yield { invalid: pending.slice(0, 200), reason: `longer than ${MAX_ELEMENT} bytes` };
      pending = '';
    }
  }
  if (pending.trim()) yield element(pending.trim());
}

async function* prepend(first: string, rest: AsyncIterator<string> | AsyncIterable<string>): AsyncGenerator<string> {
  if (first) yield first;
  const iterator = Symbol.asyncIterator in rest ? rest[Symbol.asyncIterator]() : rest;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/** The elements of a users file, from its text in chunks (a file stream with setEncoding('utf8'), or one string). */
export async function* importElements(source: AsyncIterable<string>): AsyncGenerator<ImportElement> {
  const iterator = source[Symbol.asyncIterator]();
  let first = '';
  // Find the first character that is not white space, to tell an array from NDJSON.
  while (!first.trim()) {
    const next = await iterator.next();
    if (next.done) return;
    first += next.value;
  }
  const rest = { [Symbol.asyncIterator]: () => iterator };
  if (first.trimStart().startsWith('[')) yield* arrayElements(rest, first);
  else yield* lineElements(rest, first);
}
