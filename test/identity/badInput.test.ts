import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { post } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

const good = { email: 'valid@example.test', password: 'a long enough password', name: 'Valid Name' };

/** [endpoint, case, body, fields expected in errors[]] */
const cases: [string, string, unknown, string[]][] = [
  ['register', 'empty object', {}, ['email', 'password', 'name']],
  ['register', 'missing password', { email: good.email, name: good.name }, ['password']],
  ['register', 'extra field', { ...good, isAdmin: true }, ['isAdmin']],
  ['register', 'email not a string', { ...good, email: 42 }, ['email']],
  ['register', 'email malformed', { ...good, email: 'not-an-email' }, ['email']],
  ['register', 'email without domain dot', { ...good, email: 'a@b' }, ['email']],
  ['register', 'email too long', { ...good, email: `${'a'.repeat(250)}@example.test` }, ['email']],
  ['register', 'password too short', { ...good, password: 'short' }, ['password']],
  ['register', 'password too long', { ...good, password: 'x'.repeat(257) }, ['password']],
  ['register', 'password a number', { ...good, password: 1234567890123 }, ['password']],
  ['register', 'name blank', { ...good, name: '   ' }, ['name']],
  ['register', 'name too long', { ...good, name: 'n'.repeat(201) }, ['name']],
  ['register', 'name null', { ...good, name: null }, ['name']],
  ['login', 'empty object', {}, ['email', 'password']],
  ['login', 'extra field', { email: good.email, password: good.password, remember: true }, ['remember']],
  ['login', 'password empty', { email: good.email, password: '' }, ['password']],
  ['login', 'email an array', { email: [good.email], password: good.password }, ['email']],
  ['refresh', 'missing token', {}, ['refreshToken']],
  ['refresh', 'token a number', { refreshToken: 12345 }, ['refreshToken']],
  ['refresh', 'token empty', { refreshToken: '' }, ['refreshToken']],
  ['refresh', 'extra field', { refreshToken: 'abc', userId: 'x' }, ['userId']],
  ['logout', 'missing token', {}, ['refreshToken']],
  ['logout', 'token too long', { refreshToken: 'x'.repeat(513) }, ['refreshToken']],
];

describe('bad input on the auth endpoints', () => {
  it.each(cases)('%s: %s → 400 validation_failed', async (endpoint, _name, body, fields) => {
    const res = await post(t, `/api/v1/auth/${endpoint}`, body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([...new Set(fields)].sort());
  });

  it.each(['register', 'login', 'refresh', 'logout'])('%s: a body that is not an object → 400', async (endpoint) => {
    for (const body of [[good], 'a string', 42, null]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/auth/${endpoint}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
  });

  it.each(['register', 'login', 'refresh', 'logout'])('%s: malformed JSON → 400 malformed_json', async (endpoint) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/auth/${endpoint}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@b.c", ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('malformed_json');
  });

  it('never creates an account from a rejected body', async () => {
    const email = `rejected-${Date.now()}@example.test`;
    await post(t, '/api/v1/auth/register', { ...good, email, isAdmin: true });
    const row = await t.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    expect(row).toBeUndefined();
  });
});
