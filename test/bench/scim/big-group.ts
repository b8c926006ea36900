/**
 * One group holding every benchmark user (10k): the member-heavy writes, each timed as one
 * request from this process (the server runs in its own). Three rounds of: create with all
 * members, five renames, five removals and re-additions of one member, delete. Medians and
 * maxima are printed; there is no target beyond "stays fast" (the other rows keep theirs).
 */
type Row = (label: string, value: string, target: string, ok: boolean | undefined) => void;

const ROUNDS = 3;
const REPEATS = 5;

export async function bigGroup(url: string, base: string, headers: Record<string, string>, ids: readonly string[], row: Row): Promise<void> {
  const members = ids.slice(0, 10_000).map((value) => ({ value }));
  const times: Record<'create' | 'rename' | 'remove' | 'add' | 'delete', number[]> = { create: [], rename: [], remove: [], add: [], delete: [] };
  const send = async (kind: keyof typeof times, method: string, path: string, body?: unknown): Promise<any> => {
    const started = performance.now();
    const res = await fetch(`${url}${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    times[kind].push(performance.now() - started);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const patch = (ops: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops });
  const someone = members[members.length - 1]?.value as string;
  for (let round = 0; round < ROUNDS; round++) {
    const group = await send('create', 'POST', '/Groups?attributes=id', { displayName: `Everyone ${round}`, members });
    for (let i = 0; i < REPEATS; i++) {
      await send('rename', 'PATCH', `/Groups/${group.id}`, patch([{ op: 'replace', value: { displayName: `Everyone ${round}.${i}` } }]));
      await send('remove', 'PATCH', `/Groups/${group.id}`, patch([{ op: 'remove', path: `members[value eq "${someone}"]` }]));
      await send('add', 'PATCH', `/Groups/${group.id}`, patch([{ op: 'add', path: 'members', value: [{ value: someone }] }]));
    }
    await send('delete', 'DELETE', `/Groups/${group.id}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const label = `group of ${members.length}`;
  for (const [kind, what] of [
    ['create', 'POST with every member'],
    ['rename', 'PATCH displayName'],
    ['remove', 'PATCH remove one member'],
    ['add', 'PATCH add one member'],
    ['delete', 'DELETE'],
  ] as const) {
    const xs = times[kind];
    row(`${label}: ${what} (median / max of ${xs.length})`, `${median(xs).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms`, '-', undefined);
  }
}
