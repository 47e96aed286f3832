import type { Config } from '../../config.js';
import type { Db } from '../../platform/db/database.js';
import type { Tokens } from './tokens.js';

// PLACEHOLDER — to be implemented (issue 2: accounts and roles).
export class IdentityService {
  constructor(
    readonly db: Db,
    readonly config: Config,
    readonly tokens: Tokens,
  ) {}

  async createAdmin(_input: { email: string; password: string; name: string }): Promise<{ id: string; email: string }> {
    throw new Error('not implemented');
  }
}
