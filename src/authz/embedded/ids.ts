import { ulid } from '../../lib/ids.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * ULIDs (as OpenFGA uses for store and model ids) that never go backwards within a process, so
 * two models written in the same millisecond still sort in write order.
 */
export class MonotonicUlid {
  #last = '';

  next(nowMs: number): string {
    let id = ulid(nowMs);
    if (id <= this.#last) id = increment(this.#last);
    this.#last = id;
    return id;
  }
}

function increment(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const value = CROCKFORD.indexOf(chars[i] as string);
    if (value < 31) {
      chars[i] = CROCKFORD[value + 1] as string;
      return chars.join('');
    }
    chars[i] = '0';
  }
  throw new Error('ULID space exhausted');
}
