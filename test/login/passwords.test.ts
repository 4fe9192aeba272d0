// argon2id for one process (src/crypto/passwords.ts): its share of the cores at once, and hashes that verify.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argon2Concurrency, createPasswords } from '../../src/crypto/passwords.js';

test('each of N processes runs its share of the cores at once, at least one', () => {
  assert.equal(argon2Concurrency(2, 2), 1);
  assert.equal(argon2Concurrency(1, 2), 2);
  assert.equal(argon2Concurrency(2, 8), 4);
  assert.equal(argon2Concurrency(3, 2), 1);
  assert.equal(argon2Concurrency(0, 4), 4);
});

test('a hash verifies its password and no other; an unreadable hash is false, not an error', async () => {
  const passwords = createPasswords(1);
  const [a, b] = await Promise.all([passwords.hash('correct horse'), passwords.hash('battery staple')]);
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.deepEqual(
    await Promise.all([
      passwords.verify(a, 'correct horse'),
      passwords.verify(a, 'battery staple'),
      passwords.verify(b, 'battery staple'),
      passwords.verify('not a hash', 'x'),
    ]),
    [true, false, true, false],
  );
});
