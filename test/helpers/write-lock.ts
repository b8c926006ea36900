import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** A script for `node -e`: takes the write lock (BEGIN IMMEDIATE) on argv[1], says so, holds it argv[2] ms, commits. */
const HOLDER = `
const Database = require(${JSON.stringify(betterSqlite3)});
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
db.exec('COMMIT');
db.close();
`;

/**
 * Another process holding the SQLite write lock on `file` for `ms` milliseconds, as a long
 * migration in another replica does. Resolves once the lock is held; `released` resolves when
 * the holder has committed and exited.
 */
export async function holdWriteLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const released = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code}: ${err}`)))),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c) => ((out += c), out.includes('locked\n') && resolve()));
    released.then(() => reject(new Error('lock holder exited before locking')), reject);
  });
  return { released };
}
