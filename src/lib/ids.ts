import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastMs = -1;
let lastTime = '';
let lastRandom: number[] = [];

/**
 * A monotonic ULID (26 chars, Crockford base32): 48 bits of milliseconds then 80 bits that are
 * random for the first id of a millisecond and incremented for the next ones, so ids made in one
 * process sort in creation order (which keeps id-ordered scans and cursor pages in that order).
 */
export function ulid(nowMs: number = Date.now()): string {
  if (nowMs === lastMs && incrementBase32(lastRandom)) return lastTime + encodeDigits(lastRandom);
  if (nowMs !== lastMs) lastTime = encodeTime(nowMs);
  lastMs = nowMs;
  lastRandom = randomDigits();
  return lastTime + encodeDigits(lastRandom);
}

function encodeTime(ms: number): string {
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time;
}

function encodeDigits(digits: number[]): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) out += CROCKFORD[digits[i] as number];
  return out;
}

/** 16 random base-32 digits (80 bits). */
function randomDigits(): number[] {
  const bytes = randomChunk(10);
  const digits: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      digits.push((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return digits;
}

/** Adds one to a base-32 number in place; false on overflow (then a fresh random part is drawn). */
function incrementBase32(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if ((digits[i] as number) < 31) {
      digits[i] = (digits[i] as number) + 1;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

// Random bytes are drawn from a refilled pool: one syscall per 409 ids instead of one each.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomChunk(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

export type IdPrefix = 'ten' | 'key' | 'evt' | 'req' | 'idem' | 'dir' | 'scim' | 'usr' | 'grp' | 'conn' | 'app' | 'ses' | 'lnk' | 'dom';

export function newId(prefix: IdPrefix, nowMs?: number): string {
  return `${prefix}_${ulid(nowMs)}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$/;

export function looksLikeId(value: string, prefix?: IdPrefix): boolean {
  return ID_PATTERN.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}
