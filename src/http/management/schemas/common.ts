// The building blocks of the Management API's response schemas (Auth0 Management API v2; the field types follow
// the auth0 SDK's generated types, which are Auth0's API spec). Responses are checked, never cut to these
// schemas (response-check.ts), so an object lists what Auth0 types and stays open where Auth0's is open: an
// object is closed (`additionalProperties: false`) only where Auth0's spec closes it.

export const string = { type: 'string' } as const;
export const boolean = { type: 'boolean' } as const;
export const integer = { type: 'integer' } as const;
export const number = { type: 'number' } as const;
export const object = { type: 'object' } as const;
export const strings = { type: 'array', items: string } as const;
export const objects = { type: 'array', items: object } as const;

/** The same type, or null (Auth0's `(T | null)`). */
export const orNull = <S extends { type: string }>(schema: S) => ({ ...schema, type: [schema.type, 'null'] }) as const;

/** An object Auth0 types with these properties and "Accepts any additional properties". */
export const open = <P extends Record<string, object>>(properties: P, required: readonly string[] = []) =>
  ({ type: 'object', required, properties }) as const;

/** An object Auth0 types with exactly these properties (none required: `fields=` may leave any out). */
export const closed = <P extends Record<string, object>>(properties: P, required: readonly string[] = []) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** Auth0's error body (Management API v2 reference, "Errors"): every 4xx and 5xx of every route. */
export const errorBody = closed({ statusCode: integer, error: string, message: string, errorCode: string }, [
  'statusCode',
  'error',
  'message',
]);

/** An answer without a body (204, or Auth0's bodiless 200/201/202); Fastify sends it without serializing. */
export const noBody = { type: 'null' } as const;

/** A route's `response` schema: its statuses' bodies, and Auth0's error body for the rest. */
export const answers = (byStatus: Record<number, object>) => ({ ...byStatus, '4xx': errorBody, '5xx': errorBody });

const arrayOf = (item: object) => ({ type: 'array', items: item }) as const;

/** Auth0's offset paging (Management API v2, "Pagination"): the items, or with include_totals the totals around them. */
export const offsetPage = (collection: string, item: object) => ({
  anyOf: [
    arrayOf(item),
    closed({ start: integer, limit: integer, length: integer, total: integer, [collection]: arrayOf(item) }, [
      'start',
      'limit',
      'length',
      'total',
      collection,
    ]),
  ],
});

/** Offset paging, or Auth0's checkpoint paging: {<collection>, next}, `next` absent on the last page. */
export const checkpointPage = (collection: string, item: object) => ({
  anyOf: [...offsetPage(collection, item).anyOf, closed({ [collection]: arrayOf(item), next: string }, [collection])],
});
