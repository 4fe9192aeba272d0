// Auth0's deploy CLI against `gatehouse start --https`, directory format: what it exports from Gatehouse imports
// back into Gatehouse, and exporting again gives the same files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { killAllStartedChildren } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import {
  exportDirectory,
  type HttpsGatehouse,
  importFrom,
  readTree,
  startHttpsGatehouse,
  tempFolder,
  withDeployCliDefaults,
} from './helpers.js';

after(killAllStartedChildren);

forEachDatabase('a0deploy export --format directory, import, export', (db) => {
  let server: HttpsGatehouse;

  before(async () => {
    server = await startHttpsGatehouse(db().url);
  });

  after(async () => {
    await server?.cli.stop();
  });

  test('the development tenant exports, imports back and exports to the same files', async () => {
    const first = tempFolder('first');
    await exportDirectory(server, first);
    const files = readTree(first);
    for (const path of [
      'tenant.json',
      'clients/Development web app.json',
      'resource-servers/Example API.json',
      'grants/Development machine-to-machine client-Example API.json',
      'database-connections/Username-Password-Authentication/database.json',
      'emails/verify_email.json',
      'attack-protection/brute-force-protection.json',
      'prompts/prompts.json',
    ]) {
      assert.ok(files[path], `${path} missing from ${Object.keys(files).join(', ')}`);
    }
    await importFrom(server, first);
    const second = tempFolder('second');
    await exportDirectory(server, second);
    assert.deepEqual(readTree(second), withDeployCliDefaults(files));
  });
});
