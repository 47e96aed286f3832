import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The README is the operator's manual: every environment variable Tikiti reads is documented. */
describe('README', () => {
  it('documents every environment variable in src/config.ts', () => {
    const config = fs.readFileSync('src/config.ts', 'utf8');
    const schema = config.slice(config.indexOf('const EnvSchema'), config.indexOf('type Env ='));
    const vars = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(vars.length).toBeGreaterThan(10);
    const readme = fs.readFileSync('README.md', 'utf8');
    const missing = vars.filter((v) => !readme.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
