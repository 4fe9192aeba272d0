import { after, before, describe } from 'node:test';
import { type DatabaseKind, databaseKinds, type TestDatabase } from './databases.js';

/**
 * describe(`… on SQLite`) and describe(`… on PostgreSQL`) with a fresh database each; `db()` gives the
 * current one inside the suite.
 */
export function forEachDatabase(title: string, body: (db: () => TestDatabase, kind: DatabaseKind) => void) {
  for (const kind of databaseKinds) {
    describe(`${title} on ${kind.name}`, { skip: kind.skip }, () => {
      let database: TestDatabase | undefined;
      before(async () => {
        database = await kind.create();
      });
      body(() => {
        if (!database) throw new Error('database not created yet: call db() inside a hook or test');
        return database;
      }, kind);
      // Registered after the body's hooks, so it runs after them (node:test runs `after` hooks in order): the
      // servers a suite started are closed before their database goes, and nothing of theirs is cut mid-query.
      after(async () => {
        await database?.drop();
      });
    });
  }
}
