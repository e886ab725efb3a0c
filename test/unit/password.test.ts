import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from '../../src/auth/password.js';
import { createSecretBox } from '../../src/core/secrets.js';
import { randomBytes } from 'node:crypto';

test('scrypt hashes verify and are salted', async () => {
  const a = await hashPassword('Abc@12345');
  const b = await hashPassword('Abc@12345');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('Abc@12345', a), true);
  assert.equal(await verifyPassword('Abc@12346', a), false);
  assert.equal(await verifyPassword('x', 'garbage'), false);
});

test('policy: length, classes, no user name; generated passwords pass', () => {
  assert.throws(() => checkPasswordPolicy('Ab1!', 'u'), /8/);
  assert.throws(() => checkPasswordPolicy('abcdefgh1', 'u'), /3 of/);
  assert.throws(() => checkPasswordPolicy('Zhangsan@1', 'zhangsan'), /user name/);
  checkPasswordPolicy('Abcdefg1', 'u');
  for (let i = 0; i < 20; i++) checkPasswordPolicy(generatePassword(), 'admin');
});

test('secret box seals with AES-GCM and detects tampering', () => {
  const box = createSecretBox(randomBytes(32));
  const s = box.seal('设备密码12345678');
  assert.equal(box.open(s), '设备密码12345678');
  const parts = s.split(':');
  const ct = Buffer.from(parts[3], 'base64');
  ct[0] ^= 1;
  parts[3] = ct.toString('base64');
  assert.throws(() => box.open(parts.join(':')));
  assert.throws(() => createSecretBox(randomBytes(32)).open(s), 'another key cannot open it');
});
