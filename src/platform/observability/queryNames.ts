import { sql, type RawBuilder } from 'kysely';

/**
 * Query names for metrics (`db_query_duration_seconds{query=…}`) and logs.
 *
 * Name a query with a block comment holding a dotted name, anywhere in its SQL:
 *   - query builder:  db.selectFrom('bookings')…modifyEnd(queryName('bookings.findById'))
 *   - raw SQL:        sql`/* inventory.allocateBatch *\/ with … update …`.execute(db)
 * Unnamed queries are labelled "<verb> <first table>" (e.g. "select bookings"), which keeps
 * the label set bounded either way.
 */
export function queryName(name: string): RawBuilder<unknown> {
  if (!NAME.test(name)) throw new Error(`bad query name ${JSON.stringify(name)}`);
  return sql.raw(`/* ${name} */`);
}

const NAME = /^[A-Za-z_][\w.:-]{0,79}$/;
const COMMENT = /\/\*\s*([A-Za-z_][\w.:-]{0,79})\s*\*\//;
const VERB_TABLE =
  /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete|with)\b[\s\S]*?\b(?:from|into|update)\s+(?:only\s+)?("?[\w]+"?(?:\."?[\w]+"?)?)/i;
const VERB = /^\s*(\w+)/;

const cache = new Map<string, string>();
const CACHE_MAX = 2000;

/** The metric name of a SQL text (cached: the same query text always maps to the same name). */
export function nameOfQuery(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  let name: string;
  const comment = COMMENT.exec(text);
  if (comment?.[1]) {
    name = comment[1];
  } else {
    const m = VERB_TABLE.exec(text.length > 2000 ? text.slice(0, 2000) : text);
    if (m?.[1] && m[2]) {
      name = `${m[1].toLowerCase()} ${m[2].replace(/"/g, '').toLowerCase()}`;
    } else {
      name = (VERB.exec(text)?.[1] ?? 'unknown').toLowerCase();
    }
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(text, name);
  return name;
}
