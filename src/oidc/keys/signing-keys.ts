import { createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { Sql } from '../../storage/database.ts';
import type { SecretBox } from './key-encryption.ts';

export type SigningAlg = 'ES256' | 'RS256';
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

export interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  status: 'active' | 'retired';
  private_jwk_sealed: string;
  created_at: string;
  retired_at: string | null;
  expires_at: string | null;
}

export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig' };

/** The SecretBox context the private signing keys are sealed under. */
export const SIGNING_KEY_SEAL_CONTEXT = 'oidc-signing-key';
const SEAL_CONTEXT = SIGNING_KEY_SEAL_CONTEXT;

/**
 * The OpenID Provider's signing keys, sealed under the KEK. One active key per algorithm signs;
 * retired keys stay published in the JWKS until `expires_at` (the longest lifetime of a token
 * they may have signed), then drop out.
 */
export class SigningKeyStore {
  constructor(
    private readonly sql: Sql,
    private readonly box: SecretBox,
  ) {}

  /** Keys to publish/sign with at `now`: active first (newest first), then unexpired retired. */
  current(now: Date): { row: SigningKeyRow; jwk: PrivateJwk }[] {
    const rows = this.sql
      .prepare<[string], SigningKeyRow>(
        `SELECT * FROM oidc_signing_keys WHERE status = 'active' OR expires_at > ?
         ORDER BY status = 'active' DESC, created_at DESC, kid DESC`,
      )
      .all(now.toISOString());
    return rows.map((row) => ({ row, jwk: JSON.parse(this.box.open(row.private_jwk_sealed, SEAL_CONTEXT)) as PrivateJwk }));
  }

  /**
   * A cheap fingerprint of the key set published at `now`: changes whenever a key is added or
   * retired, and when a retired key's publication window ends (time alone, the table unchanged).
   */
  generation(now: Date): string {
    const r = this.sql
      .prepare<[string], { n: number; latest: string | null; retired: string | null; published: number }>(
        `SELECT count(*) AS n, max(created_at) AS latest, max(retired_at) AS retired,
           coalesce(sum(status = 'active' OR expires_at > ?), 0) AS published
         FROM oidc_signing_keys`,
      )
      .get(now.toISOString());
    return `${r?.n}:${r?.latest}:${r?.retired}:${r?.published}`;
  }

  hasActiveKeys(): boolean {
    return !!this.sql.prepare("SELECT 1 FROM oidc_signing_keys WHERE status = 'active'").get();
  }

  /** Inserts a fresh key per algorithm. Call inside a transaction. */
  insertNewKeys(now: Date): SigningKeyRow[] {
    return SIGNING_ALGS.map((alg) => {
      const jwk = generateJwk(alg);
      const row: SigningKeyRow = {
        kid: jwk.kid,
        alg,
        status: 'active',
        private_jwk_sealed: this.box.seal(JSON.stringify(jwk), SEAL_CONTEXT),
        created_at: now.toISOString(),
        retired_at: null,
        expires_at: null,
      };
      this.sql
        .prepare(
          `INSERT INTO oidc_signing_keys (kid, alg, status, private_jwk_sealed, created_at, retired_at, expires_at)
           VALUES (@kid, @alg, @status, @private_jwk_sealed, @created_at, @retired_at, @expires_at)`,
        )
        .run(row);
      return row;
    });
  }

  /** Retires every active key; they stay in the JWKS until `keepUntil`. Returns their kids. */
  retireActive(now: Date, keepUntil: Date): string[] {
    const kids = this.sql
      .prepare<[], { kid: string }>("SELECT kid FROM oidc_signing_keys WHERE status = 'active'")
      .all()
      .map((r) => r.kid);
    this.sql
      .prepare("UPDATE oidc_signing_keys SET status = 'retired', retired_at = ?, expires_at = ? WHERE status = 'active'")
      .run(now.toISOString(), keepUntil.toISOString());
    return kids;
  }
}

/**
 * The key is encoded as a JWK by the generation itself. Exporting the generated KeyObject as a
 * JWK afterwards can deadlock Node 20 for good: a garbage collection during the export destroys
 * the finished generation job, which takes the key's lock the export already holds (seen as a
 * CI run hung in this test; reproduced in a loop of P-256 keys within 100 000 iterations).
 */
function generateJwk(alg: SigningAlg): PrivateJwk {
  const encoding = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as const;
  const { privateKey: jwk } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256', ...encoding }) : generateKeyPairSync('rsa', { modulusLength: 2048, ...encoding });
  const kid = `${alg.toLowerCase()}-${randomBytes(9).toString('base64url')}`;
  return { ...jwk, kid, alg, use: 'sig' };
}

/** The public half of a private JWK (what the JWKS endpoint publishes and verifiers use). */
export function publicJwk(jwk: PrivateJwk): JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig' } {
  const pub = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' });
  return { ...pub, kid: jwk.kid, alg: jwk.alg, use: 'sig' };
}
