import type { TupleKey, WriteAuthorizationModelRequest } from '@openfga/sdk';

/**
 * The benchmark's data, generated deterministically: users in groups nested up to 5 deep,
 * documents in folders, viewers on both. At scale 1: 10k users, 1k groups, 10k folders, 100k
 * documents and about 1M tuples. Query sets come with their known answers.
 */
export const BENCH_MODEL: WriteAuthorizationModelRequest = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'group',
      relations: { member: { this: {} } },
      metadata: { relations: { member: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] } } },
    },
    {
      type: 'folder',
      relations: { viewer: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] } } },
    },
    {
      type: 'document',
      relations: {
        parent: { this: {} },
        viewer: { union: { child: [{ this: {} }, { tupleToUserset: { tupleset: { relation: 'parent' }, computedUserset: { relation: 'viewer' } } }] } },
      },
      metadata: {
        relations: {
          parent: { directly_related_user_types: [{ type: 'folder' }] },
          viewer: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] },
        },
      },
    },
  ],
} as WriteAuthorizationModelRequest;

export interface CheckQuery {
  user: string;
  object: string;
  expected: boolean;
}

export interface Dataset {
  tuples: TupleKey[];
  direct: CheckQuery[];
  nestedAllowed: CheckQuery[];
  nestedDenied: CheckQuery[];
  /** Users whose document list-objects is a few thousand results. */
  listUsers: string[];
  /** The user who can view exactly `heavyCount` documents. */
  heavyUser: string;
  heavyCount: number;
}

const DEPTH = 5;
const DOCS_PER_FOLDER = 10;

export function generate(scale: number, queries = 2000, seed = 42): Dataset {
  const rand = mulberry32(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const U = Math.round(10_000 * scale);
  const G = Math.max(DEPTH, Math.round(1_000 * scale / DEPTH) * DEPTH);
  const F = Math.round(10_000 * scale);
  const tuples: TupleKey[] = [];
  const add = (user: string, relation: string, object: string) => tuples.push({ user, relation, object });

  // Groups in chains of 5: g(5c+k)#member is a member of g(5c+k-1); the chain root is g(5c).
  for (let g = 0; g < G; g++) if (g % DEPTH > 0) add(`group:g${g}#member`, 'member', `group:g${g - 1}`);
  const userGroups: number[][] = [];
  for (let u = 0; u < U; u++) {
    const gs = new Set<number>();
    while (gs.size < 5) gs.add(pick(G));
    userGroups.push([...gs]);
    for (const g of gs) add(`user:u${u}`, 'member', `group:g${g}`);
  }
  const roots = G / DEPTH;
  const foldersOfRoot = new Map<number, number[]>();
  const folderViewers: { groups: number[]; users: Set<number> }[] = [];
  for (let f = 0; f < F; f++) {
    const first = pick(roots);
    const groups = [first * DEPTH, ((first + 1 + pick(roots - 1)) % roots) * DEPTH];
    const users = new Set<number>();
    while (users.size < 3) users.add(pick(U));
    folderViewers.push({ groups, users });
    for (const g of groups) {
      add(`group:g${g}#member`, 'viewer', `folder:f${f}`);
      foldersOfRoot.set(g, [...(foldersOfRoot.get(g) ?? []), f]);
    }
    for (const u of users) add(`user:u${u}`, 'viewer', `folder:f${f}`);
  }
  const docViewers: Set<number>[] = [];
  for (let d = 0; d < F * DOCS_PER_FOLDER; d++) {
    add(`folder:f${Math.floor(d / DOCS_PER_FOLDER)}`, 'parent', `document:d${d}`);
    const users = new Set<number>();
    while (users.size < 8) users.add(pick(U));
    docViewers.push(users);
    for (const u of users) add(`user:u${u}`, 'viewer', `document:d${d}`);
  }
  // The heavy user sees the documents of 1 000 folders (10 000 documents) through one group.
  const heavyFolders = Math.min(F, 1_000);
  add('user:heavy', 'member', 'group:heavy');
  for (let f = 0; f < heavyFolders; f++) add('group:heavy#member', 'viewer', `folder:f${f}`);

  const rootsOf = (u: number) => new Set(userGroups[u]!.map((g) => g - (g % DEPTH)));
  const canView = (u: number, d: number) => {
    if (docViewers[d]!.has(u)) return true;
    const fv = folderViewers[Math.floor(d / DOCS_PER_FOLDER)]!;
    if (fv.users.has(u)) return true;
    const r = rootsOf(u);
    return fv.groups.some((g) => r.has(g));
  };

  const direct: CheckQuery[] = [];
  const nestedAllowed: CheckQuery[] = [];
  const nestedDenied: CheckQuery[] = [];
  while (direct.length < queries) {
    const d = pick(docViewers.length);
    const u = [...docViewers[d]!][pick(8)]!;
    direct.push({ user: `user:u${u}`, object: `document:d${d}`, expected: true });
  }
  while (nestedAllowed.length < queries) {
    const u = pick(U);
    const deepest = userGroups[u]!.reduce((a, b) => (b % DEPTH > a % DEPTH ? b : a));
    const folders = foldersOfRoot.get(deepest - (deepest % DEPTH));
    if (!folders?.length) continue;
    const d = folders[pick(folders.length)]! * DOCS_PER_FOLDER + pick(DOCS_PER_FOLDER);
    nestedAllowed.push({ user: `user:u${u}`, object: `document:d${d}`, expected: true });
  }
  while (nestedDenied.length < queries) {
    const u = pick(U);
    const d = pick(docViewers.length);
    if (!canView(u, d)) nestedDenied.push({ user: `user:u${u}`, object: `document:d${d}`, expected: false });
  }
  const listUsers = Array.from({ length: 50 }, () => `user:u${pick(U)}`);
  return { tuples, direct, nestedAllowed, nestedDenied, listUsers, heavyUser: 'user:heavy', heavyCount: heavyFolders * DOCS_PER_FOLDER };
}

function mulberry32(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
