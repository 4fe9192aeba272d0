import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-sign-in.js';
import * as m0003 from './0003-refresh-tokens.js';
import * as m0004 from './0004-consents.js';
import * as m0005 from './0005-ip-throttles.js';
import * as m0006 from './0006-login-failures-by-identifier.js';
import * as m0007 from './0007-login-transaction-limits.js';
import * as m0008 from './0008-code-refresh-family.js';
import * as m0009 from './0009-write-probe.js';
import * as m0010 from './0010-token-endpoint-ip-header.js';
import * as m0011 from './0011-cross-origin-authentication.js';
import * as m0012 from './0012-stored-auth0-fields.js';
import * as m0013 from './0013-user-search.js';
import * as m0014 from './0014-roles-grants.js';
import * as m0015 from './0015-signing-key-certificates.js';
import * as m0016 from './0016-logs.js';
import * as m0017 from './0017-delivery.js';
import * as m0018 from './0018-user-tickets.js';
import * as m0019 from './0019-passwordless-codes.js';
import * as m0020 from './0020-device-codes.js';
import * as m0021 from './0021-test-outbox.js';
import * as m0022 from './0022-user-import-jobs.js';

/** Every migration, in order. A new schema change is a new numbered file added here. */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-sign-in': m0002,
  '0003-refresh-tokens': m0003,
  '0004-consents': m0004,
  '0005-ip-throttles': m0005,
  '0006-login-failures-by-identifier': m0006,
  '0007-login-transaction-limits': m0007,
  '0008-code-refresh-family': m0008,
  '0009-write-probe': m0009,
  '0010-token-endpoint-ip-header': m0010,
  '0011-cross-origin-authentication': m0011,
  '0012-stored-auth0-fields': m0012,
  '0013-user-search': m0013,
  '0014-roles-grants': m0014,
  '0015-signing-key-certificates': m0015,
  '0016-logs': m0016,
  '0017-delivery': m0017,
  '0018-user-tickets': m0018,
  '0019-passwordless-codes': m0019,
  '0020-device-codes': m0020,
  '0021-test-outbox': m0021,
  '0022-user-import-jobs': m0022,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
