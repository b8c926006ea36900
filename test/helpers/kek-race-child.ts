// Child process for the KEK creation race test: `kek-race-child.ts PARENT COUNT` waits for a line
// on stdin, then loads (creating when absent) the key-encryption key of data dirs PARENT/0 ..
// PARENT/COUNT-1 in order, and prints one JSON array of base64 keys (or `error: message`).
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadKeyEncryptionKey } from '../../src/oidc/keys/key-encryption.ts';

const [parent, count] = process.argv.slice(2) as [string, string];
const dirs = Array.from({ length: Number(count) }, (_, i) => join(parent, String(i)));
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
lines.once('line', () => {
  const keys = dirs.map((dir) => {
    try {
      return loadKeyEncryptionKey(dir, undefined).toString('base64');
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  });
  process.stdout.write(JSON.stringify(keys) + '\n');
  lines.close();
});
