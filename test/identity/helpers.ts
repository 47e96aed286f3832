import crypto from 'node:crypto';
import type { TestApp } from '../helpers/testApp.js';

/** A fresh, valid registration body. */
export function newAccount(o: { email?: string; password?: string; name?: string } = {}) {
  return {
    email: o.email ?? `someone-${crypto.randomBytes(5).toString('hex')}@example.test`,
    password: o.password ?? 'a long enough password',
    name: o.name ?? 'Amani Uwase',
  };
}

/** A distinct client address per test, so IP throttling of one test never leaks into another. */
export function freshIp(): string {
  const b = crypto.randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export function post(t: TestApp, url: string, payload: unknown, o: { ip?: string; headers?: Record<string, string> } = {}) {
  return t.app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: o.headers,
    remoteAddress: o.ip ?? freshIp(),
  });
}
