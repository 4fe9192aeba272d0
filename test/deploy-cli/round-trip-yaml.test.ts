// Auth0's deploy CLI against `gatehouse start --https`, YAML format: what it exports from Gatehouse imports back
// into Gatehouse, and exporting again gives the same files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { killAllStartedChildren } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import {
  exportYaml,
  type HttpsGatehouse,
  importFrom,
  readTree,
  startHttpsGatehouse,
  tempFolder,
  withDeployCliDefaults,
} from './helpers.js';

after(killAllStartedChildren);

forEachDatabase('a0deploy export --format yaml, import, export', (db) => {
  let server: HttpsGatehouse;

  before(async () => {
    server = await startHttpsGatehouse(db().url);
  });

  after(async () => {
    await server?.cli.stop();
  });

  test('the development tenant exports, imports back and exports to the same files', async () => {
    const first = tempFolder('first');
    await exportYaml(server, first);
    const exported = readTree(first);
    // Gatehouse's objects are there, under the names deploy-cli uses for references.
    const yaml = exported['tenant.yaml'];
    assert.match(yaml, /databases:\n {2}- name: Username-Password-Authentication\n {4}strategy: auth0/);
    assert.match(yaml, /clientGrants:\n {2}- client_id: Development machine-to-machine client/);
    assert.match(yaml, /bruteForceProtection:\n {4}enabled: true/);
    assert.match(yaml, /emailTemplates:\n {2}- template: blocked_account/);
    await importFrom(server, `${first}/tenant.yaml`);

    const second = tempFolder('second');
    await exportYaml(server, second);
    assert.deepEqual(readTree(second), withDeployCliDefaults(exported));
  });
});
