import type { Logger } from 'pino';
import { loadConfig, type Config } from './config.js';
import { createLogger } from './platform/logger.js';
import { createDb, type DbHandle } from './platform/db/database.js';
import { startEmbedded, type EmbeddedServer } from './platform/db/embedded.js';
import { createContext, type AppContext } from './context.js';

export interface Runtime {
  config: Config;
  log: Logger;
  dbHandle: DbHandle;
  /** The read replica's pool (DATABASE_REPLICA_URL), used for catalogue reads only. */
  replicaHandle?: DbHandle;
  ctx: AppContext;
  embedded?: EmbeddedServer;
  /** Closes the pool and stops the embedded server if this process started it. */
  shutdown(): Promise<void>;
}

/** Config, logger, database (embedded or DATABASE_URL) and the service context for any CLI role. */
export async function startRuntime(role: string): Promise<Runtime> {
  const config = loadConfig();
  const log = createLogger(config).child({ role });
  let embedded: EmbeddedServer | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbedded(config.dataDir, config.EMBEDDED_PG_PORT, log);
    url = embedded.url;
  }
  const dbHandle = createDb(url, { max: config.DATABASE_POOL_MAX, applicationName: `tikiti-${role}` });
  // Browse traffic may read from a replica; availability decisions and bookings never do.
  const replicaHandle = config.DATABASE_REPLICA_URL
    ? createDb(config.DATABASE_REPLICA_URL, { max: config.DATABASE_POOL_MAX, applicationName: `tikiti-${role}-replica` })
    : undefined;
  const ctx = createContext(config, dbHandle.db, log, { readDb: replicaHandle?.db });
  return {
    config,
    log,
    dbHandle,
    replicaHandle,
    ctx,
    embedded,
    async shutdown() {
      await dbHandle.close();
      await replicaHandle?.close();
      await embedded?.stop();
    },
  };
}
