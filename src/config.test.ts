import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults for an empty environment (embedded mode)', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.embedded).toBe(true);
    expect(c.dataDir).toBe(path.resolve('.tikiti'));
    expect(c.ALLOCATOR_BATCHING).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('converts numbers and booleans from text', () => {
    const c = loadConfig({ PORT: '8080', ALLOCATOR_BATCHING: 'false', DATABASE_URL: 'postgres://u@h/db', CORS_ORIGINS: 'https://a.test, https://b.test' });
    expect(c.PORT).toBe(8080);
    expect(c.ALLOCATOR_BATCHING).toBe(false);
    expect(c.embedded).toBe(false);
    expect(c.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
  });

  it('fails with the full list of problems', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/DATABASE_URL/);
    expect(problems).toMatch(/LOG_LEVEL/);
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db' })).toThrow(/JWT_SECRET/);
  });

  it('lets tests override values', () => {
    expect(loadConfig({}, { PORT: 1234 }).PORT).toBe(1234);
  });
});
