import { sql } from 'kysely';
import type { Store, Stores } from '../types.js';
import { clientAssertionStore } from './client-assertions.js';
import { clientGrantStore } from './client-grants.js';
import { clientStore } from './clients.js';
import { connectionStore } from './connections.js';
import { type Connection, type Executor, takeLock } from './db.js';
import { refreshTokenStore } from './refresh-tokens.js';
import { resourceServerStore } from './resource-servers.js';
import { roleStore } from './roles.js';
import { signingKeyStore } from './signing-keys.js';
import { authorizationCodeStore } from './authorization-codes.js';
import { brandingStore } from './branding.js';
import { consentStore } from './consents.js';
import { ipThrottleStore } from './ip-throttles.js';
import { loginFailureStore } from './login-failures.js';
import { loginTicketStore } from './login-tickets.js';
import { logStore } from './logs.js';
import { passwordlessCodeStore } from './passwordless-codes.js';
import { deviceCodeStore } from './device-codes.js';
import { loginTransactionStore } from './login-transactions.js';
import { revokedTokenStore } from './revoked-tokens.js';
import { sessionStore } from './sessions.js';
import { tenantStore } from './tenant.js';
import { userStore } from './users.js';
import { emailTemplateStore } from './email-templates.js';
import { outboxStore } from './outbox.js';
import { userTicketStore } from './user-tickets.js';
import { restoreTenant, snapshotTenant } from './snapshot.js';
import { testOutboxStore } from './test-outbox.js';
import { jobStore } from './jobs.js';

function stores(db: Executor, now: () => number): Stores {
  return {
    tenant: tenantStore(db, now),
    clients: clientStore(db, now),
    resourceServers: resourceServerStore(db, now),
    clientGrants: clientGrantStore(db, now),
    connections: connectionStore(db, now),
    users: userStore(db, now),
    roles: roleStore(db, now),
    signingKeys: signingKeyStore(db),
    clientAssertions: clientAssertionStore(db, now),
    sessions: sessionStore(db),
    loginTransactions: loginTransactionStore(db, now),
    loginTickets: loginTicketStore(db),
    userTickets: userTicketStore(db),
    codes: authorizationCodeStore(db, now),
    revokedTokens: revokedTokenStore(db, now),
    loginFailures: loginFailureStore(db),
    ipThrottles: ipThrottleStore(db),
    passwordlessCodes: passwordlessCodeStore(db),
    deviceCodes: deviceCodeStore(db),
    branding: brandingStore(db, now),
    refreshTokens: refreshTokenStore(db),
    jobs: jobStore(db),
    consents: consentStore(db, now),
    logs: logStore(db),
    outbox: outboxStore(db),
    emailTemplates: emailTemplateStore(db, now),
    testOutbox: testOutboxStore(db),
  };
}

export function createStore(connection: Connection, now: () => number = Date.now): Store {
  const { db } = connection;
  return {
    ...stores(db, now),
    dialect: connection.dialect,
    transaction(lock, fn) {
      return db.transaction().execute(async (tx) => {
        if (lock) await takeLock(tx, lock, connection.dialect);
        return fn(stores(tx, now));
      });
    },
    async changeVersion() {
      const rows = await db.selectFrom('locks').select(['name', 'n']).orderBy('name').execute();
      return rows.map((r) => `${r.name}:${r.n}`).join(',');
    },
    listenForChanges(options) {
      // SQLite: nothing to listen to; the counters are compared instead (cache.ts).
      return connection.listen?.(options) ?? { ready: Promise.resolve(), close: async () => {} };
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async probeWrite() {
      // 256 KiB of fresh random text (0009-write-probe.ts says why that much), so neither a page left over
      // from a failed write nor PostgreSQL's compression makes it smaller.
      const data =
        connection.dialect === 'sqlite'
          ? sql<string>`hex(randomblob(131072))`
          : sql<string>`(select string_agg(md5(random()::text), '') from generate_series(1, 8192))`;
      await db.updateTable('write_probe').set({ data }).where('id', '=', 1).execute();
    },
    snapshot: () => snapshotTenant(connection),
    restore: (snapshot) => restoreTenant(connection, snapshot),
    close: () => db.destroy(),
  };
}
