import { createHash } from 'node:crypto';
import type { Services } from '../../../src/services.ts';

/**
 * Everything stored, table by table: a row count and a digest of the rows. `last_used_at`
 * columns are left out: authenticating a valid credential may stamp them, and that is not a
 * change a refused request made to the data it named.
 */
export function snapshotDatabase(s: Services): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, select } of tableReaders(s)) {
    const lines = (select.all() as unknown[][]).map((row) => JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v)));
    out[name] = `${lines.length} rows ${createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16)}`;
  }
  return out;
}

type Reader = { name: string; select: { all(): unknown[] } };
const readers = new WeakMap<Services, Reader[]>();

/** One prepared SELECT per table (its columns minus `last_used*`), made once per service. */
function tableReaders(s: Services): Reader[] {
  let found = readers.get(s);
  if (!found) {
    const raw = s.storage.sql.raw;
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    found = tables.map(({ name }) => {
      const columns = (raw.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => c.name).filter((c) => !/last_used/.test(c));
      return { name, select: raw.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${name}"`).raw(true) };
    });
    readers.set(s, found);
  }
  return found;
}
