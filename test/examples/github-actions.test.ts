// docs/examples/testing/github-actions.yml, read with the yaml package: the job starts Gatehouse with npx in test
// mode over HTTPS, waits for /healthz, hands the CA to Node through NODE_EXTRA_CA_CERTS, and runs every example
// suite of the folder; each file a step names exists there, and the start's flags and variables are a
// configuration Gatehouse accepts, with its CA where the job looks for it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { EXAMPLES_DIR } from './run-example.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
}
interface Workflow {
  jobs: Record<string, { 'runs-on': string; env?: Record<string, string>; steps: Step[] }>;
}

const workflow = parse(readFileSync(join(EXAMPLES_DIR, 'github-actions.yml'), 'utf8')) as Workflow;
const [job] = Object.values(workflow.jobs);
const runs = job.steps.flatMap((step) => (step.run ? [step.run] : []));
const start = runs.find((run) => run.includes('npx gatehouse start'));

test('the job installs, starts Gatehouse with npx in test mode over https in the background, and waits for /healthz', () => {
  assert.ok(job.steps.some((step) => step.uses?.startsWith('actions/checkout@')));
  assert.ok(runs.includes('npm ci'));
  assert.ok(start, 'a step runs npx gatehouse start');
  assert.match(start, /^npx gatehouse start --test --https .*&$/m);
  assert.match(start, /https:\/\/localhost:3000\/healthz/);
  assert.match(start, /^echo "NODE_EXTRA_CA_CERTS=\$PWD\/data\/gatehouse-ca\.pem" >> "\$GITHUB_ENV"$/m);
  assert.ok(
    runs.indexOf(start) < runs.findIndex((run) => run.startsWith('node --test')),
    'Gatehouse starts before the tests',
  );
});

test('every file the steps name exists in docs/examples/testing, and every example suite there is run', () => {
  const named = runs.flatMap((run) =>
    [...run.matchAll(/(?<![\w$/])[\w-]+(?:\/[\w.-]+)*\.(?:mjs|json)\b/g)].map((m) => m[0]),
  );
  assert.ok(named.includes('tenant.json'));
  for (const file of named) assert.ok(existsSync(join(EXAMPLES_DIR, file)), `${file} exists`);
  const suites = readdirSync(join(EXAMPLES_DIR, 'test')).filter((file) => file.endsWith('.test.mjs'));
  const run = runs.flatMap((command) => command.match(/^node --test (\S+)$/)?.slice(1) ?? []);
  assert.deepEqual(run.sort(), suites.map((file) => `test/${file}`).sort());
});

test("the start's flags and the job's GATEHOUSE_* variables are a test-mode configuration with its CA in ./data", () => {
  const argv = start!.split('\n')[0].replace(/&$/, '').trim().split(/\s+/).slice(3);
  const gatehouseEnv = Object.fromEntries(
    Object.entries(job.env ?? {}).filter(([name]) => name.startsWith('GATEHOUSE_')),
  );
  const config = loadConfig(gatehouseEnv, argv);
  assert.equal(config.mode, 'test');
  assert.equal(config.issuer, 'https://localhost:3000/');
  assert.equal(`localhost:${config.port}`, job.env?.AUTH0_DOMAIN);
  assert.deepEqual(config.tls && config.tls.mode === 'auto' && config.tls.dir, resolve('data'));
  assert.equal(config.adminClientId, 'example-admin', 'the Management API client of test/auth0-sdk.test.mjs');
});
