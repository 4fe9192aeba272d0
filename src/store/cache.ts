// In-memory caches of what every token request reads (clients, APIs, client grants, tenant settings) and
// what every login page reads (connections, the page template).
//
// Correctness rules (docs/operations.md "Caches, and why they stay correct"): every configuration write runs in a
// transaction that takes a named lock, and taking a lock bumps its counter (kysely/db.ts takeLock). So:
//  - other instances: on PostgreSQL the lock's transaction notifies every worker, which calls invalidate()
//    (app.ts, kysely/change-listener.ts); in any case each process compares the counters at most once per
//    `refreshMs` and drops its caches when they moved, so a write anywhere is seen everywhere within about a
//    second even when a notification was missed;
//  - this instance: a worker that writes calls invalidate() everywhere through the cluster primary
//    (see invalidation.ts) before it answers, so the next request on any worker reads the write.
// Only hits are cached: an unknown client_id is looked up each time, so junk cannot fill the memory.
import type { CacheName, Metrics } from '../metrics/registry.js';
import type { Client, ClientGrant, Connection, ResourceServer, Store, TenantSettings } from './types.js';

export interface CachedStore extends Store {
  /** Drops every cached entry now. */
  invalidate(): void;
}

export interface CacheOptions {
  now?: () => number;
  refreshMs?: number;
  /** After a locked transaction: tell the other workers of this instance (invalidation.ts). */
  broadcast?: () => Promise<void>;
  /** Counts hits and misses of the per-key caches (gatehouse_cache_lookups_total). */
  metrics?: Pick<Metrics, 'cacheLookups'>;
}

interface Tally {
  hit(): void;
  miss(): void;
}

function tally(metrics: CacheOptions['metrics'], cache: CacheName): Tally {
  if (!metrics) return { hit() {}, miss() {} };
  const hits = metrics.cacheLookups.labels(cache, 'hit');
  const misses = metrics.cacheLookups.labels(cache, 'miss');
  return { hit: () => hits.inc(), miss: () => misses.inc() };
}

export function createCachedStore(
  store: Store,
  { now = Date.now, refreshMs = 1000, broadcast, metrics }: CacheOptions = {},
): CachedStore {
  let version: string | undefined;
  let checkedAt = -Infinity;
  let checking: Promise<void> | undefined;
  // Bumped by every invalidation: a load that started before it must not store its (stale) result.
  let generation = 0;
  const clients = new Map<string, Client>();
  const resourceServers = new Map<string, ResourceServer>();
  const clientGrants = new Map<string, ClientGrant>();
  let tenant: TenantSettings | undefined;
  let origins: Promise<Set<string>> | undefined;
  let connectionList: Promise<Connection[]> | undefined;
  let template: Promise<string | undefined> | undefined;
  const tallies = {
    clients: tally(metrics, 'clients'),
    resourceServers: tally(metrics, 'resource_servers'),
    clientGrants: tally(metrics, 'client_grants'),
  };

  function invalidate() {
    generation++;
    // The next read compares the counters too, so the change that caused this is not counted again later.
    checkedAt = -Infinity;
    clients.clear();
    resourceServers.clear();
    clientGrants.clear();
    tenant = undefined;
    origins = undefined;
    connectionList = undefined;
    template = undefined;
  }

  /** A value loaded once per generation; a load that started before an invalidation is not kept. */
  async function memo<T>(
    get: () => Promise<T> | undefined,
    set: (p: Promise<T> | undefined) => void,
    load: () => Promise<T>,
  ): Promise<T> {
    await fresh();
    let pending = get();
    if (!pending) {
      const started = generation;
      pending = load();
      set(pending);
      pending.then(
        () => started !== generation && set(undefined),
        () => set(undefined),
      );
    }
    return pending;
  }

  /** The counters were compared less than refreshMs ago. */
  const checkedLately = () => now() - checkedAt < refreshMs;

  async function fresh(): Promise<void> {
    if (checkedLately()) return;
    checking ??= store
      .changeVersion()
      .then((current) => {
        if (current !== version) {
          invalidate();
          version = current;
        }
        checkedAt = now();
      })
      .finally(() => (checking = undefined));
    await checking;
  }

  function cached<T>(
    map: Map<string, T>,
    counts: Tally,
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    // The token path's common case, a hit checked less than refreshMs ago, without an async function's ticks.
    if (checkedLately()) {
      const hit = map.get(key);
      if (hit !== undefined) {
        counts.hit();
        return Promise.resolve(hit);
      }
    }
    return lookUp(map, counts, key, load);
  }

  async function lookUp<T>(
    map: Map<string, T>,
    counts: Tally,
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    await fresh();
    const hit = map.get(key);
    if (hit !== undefined) {
      counts.hit();
      return hit;
    }
    counts.miss();
    const started = generation;
    const value = await load();
    if (value !== undefined && started === generation) map.set(key, value);
    return value;
  }

  return {
    ...store,
    clients: {
      ...store.clients,
      get: (id) => cached(clients, tallies.clients, id, () => store.clients.get(id)),
      async browserOrigins() {
        await fresh();
        origins ??= store.clients.browserOrigins().then((list) => new Set(list));
        return [...(await origins)];
      },
    },
    resourceServers: {
      ...store.resourceServers,
      getByIdentifier: (identifier) =>
        cached(resourceServers, tallies.resourceServers, identifier, () =>
          store.resourceServers.getByIdentifier(identifier),
        ),
    },
    clientGrants: {
      ...store.clientGrants,
      find: (clientId, audience) =>
        cached(clientGrants, tallies.clientGrants, `${clientId}\n${audience}`, () =>
          store.clientGrants.find(clientId, audience),
        ),
    },
    connections: {
      ...store.connections,
      list: () =>
        memo(
          () => connectionList,
          (p) => (connectionList = p),
          () => store.connections.list(),
        ),
      getByName: async (name) =>
        (
          await memo(
            () => connectionList,
            (p) => (connectionList = p),
            () => store.connections.list(),
          )
        ).find((c) => c.name === name),
    },
    branding: {
      ...store.branding,
      getTemplate: () =>
        memo(
          () => template,
          (p) => (template = p),
          () => store.branding.getTemplate(),
        ),
    },
    tenant: {
      ...store.tenant,
      async get() {
        await fresh();
        if (tenant) return tenant;
        const started = generation;
        const value = await store.tenant.get();
        if (started === generation) tenant = value;
        return value;
      },
    },
    async transaction(lock, fn) {
      try {
        return await store.transaction(lock, fn);
      } finally {
        // Read-your-writes: this process now, the instance's other workers before the caller answers.
        if (lock) {
          invalidate();
          await broadcast?.();
        }
      }
    },
    invalidate,
  };
}
