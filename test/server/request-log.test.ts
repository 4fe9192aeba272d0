// request.log (src/http/log.ts): made lazily, yet every line a request logs carries its request id; the
// route's logLevel wins over the server's; isLevelEnabled, bindings and child behave as pino's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type pino from 'pino';
import { lazyChildLogger } from '../../src/http/log.js';
import { captureLogs } from '../helpers/log-capture.js';

test('request.log: lines carry the request id; below the level nothing is written; a route logLevel wins', async () => {
  const { lines, logger } = captureLogs();
  let ids = 0;
  const app = Fastify({
    loggerInstance: logger,
    childLoggerFactory: lazyChildLogger,
    genReqId: () => `req-${++ids}`,
    disableRequestLogging: true,
  });
  const seen: Record<string, unknown> = {};
  app.get('/quiet', async (request) => {
    request.log.info('not written');
    seen.quietInfo = request.log.isLevelEnabled('info');
    return 'ok';
  });
  app.get('/loud', async (request) => {
    request.log.error({ what: 'boom' }, 'written');
    request.log.child({ part: 'inner' }).warn('from a child');
    seen.bindings = (request.log as unknown as pino.Logger).bindings();
    return 'ok';
  });
  app.get('/debug', { logLevel: 'debug' }, async (request) => {
    seen.debugEnabled = request.log.isLevelEnabled('debug');
    request.log.debug('route level');
    return 'ok';
  });
  for (const url of ['/quiet', '/loud', '/debug']) assert.equal((await app.inject({ url })).statusCode, 200);
  await app.close();

  assert.equal(seen.quietInfo, false);
  assert.equal(seen.debugEnabled, true);
  assert.deepEqual(seen.bindings, { reqId: 'req-2' });
  assert.deepEqual(
    lines.map(({ msg, reqId, part }) => ({ msg, reqId, part })),
    [
      { msg: 'written', reqId: 'req-2', part: undefined },
      { msg: 'from a child', reqId: 'req-2', part: 'inner' },
      { msg: 'route level', reqId: 'req-3', part: undefined },
    ],
  );
});
