/**
 * The key that case-insensitive identifiers (emails, userNames) are stored and looked up by:
 * Unicode NFC, then the default (locale-independent) Unicode lowercase mapping, with the final
 * sigma `ς` read as `σ`. The same function must run on the stored value and on the lookup input.
 *
 * SQLite's NOCASE folds only A–Z; this covers all of Unicode: `Élise` = `élise`, `ÄRGER` =
 * `ärger`, `ΣΑΣ` = `σας` = `σασ`, and a decomposed `e + U+0301` = `é`.
 *
 * Lowercasing rather than full Unicode case folding (CaseFolding.txt), on purpose: full folding
 * also equates different spellings (`straße` = `strasse`, `ﬁ` = `fi`) that mail systems and
 * IDNA2008 keep apart, and a false match here links a sign-in to someone else's account. It is
 * also the mapping SSO already applies to the IdP's email (the ID token's `email`). The one
 * exception is sigma: lowercasing picks `σ` or `ς` by position in the word, so the same address
 * in capitals and in lower case would otherwise differ (`ΣΑΣ` → `σας`, typed `σασ`).
 *
 * No Turkish (locale) rules: `İ` (U+0130) becomes `i̇` (i + U+0307) and matches only itself in
 * either case, not `i`; dotless `ı` matches only itself, not `I`. With Turkish rules `I` and `i`
 * would differ for everyone else.
 */
export function foldCase(value: string): string {
  return value.normalize('NFC').toLowerCase().replaceAll('\u03c2', '\u03c3');
}
