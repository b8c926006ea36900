import { foundation } from './0001_foundation.ts';
import { authz } from './0002_authz.ts';
import { directory } from './0003_directory.ts';
import { sso } from './0004_sso.ts';
import { authzApi } from './0005_authz_api.ts';
import { perfIndexes } from './0006_perf_indexes.ts';
import { authzConditionIndex } from './0007_authz_condition_index.ts';
import { samlSpRotation } from './0008_saml_sp_rotation.ts';
import { directoryUnicodeNfc } from './0009_directory_unicode_nfc.ts';
import { ssoUnmapPending } from './0010_sso_unmap_pending.ts';
import { spCertificateUsage } from './0011_sp_certificate_usage.ts';
import { ssoReauthentication } from './0012_sso_reauthentication.ts';
import { samlSha1Policy } from './0013_saml_sha1_policy.ts';
import { connectionDirectory } from './0014_connection_directory.ts';
import { directoryCaseFold } from './0015_directory_case_fold.ts';
import { emailTypeFoldedIndex } from './0016_email_type_folded_index.ts';
import { sessionIdpEnd } from './0017_session_idp_end.ts';
import { oidcGoogleDomains } from './0018_oidc_google_domains.ts';
import { authzPendingTupleWork } from './0019_authz_pending_tuple_work.ts';
import { authzPendingTupleDrains } from './0020_authz_pending_tuple_drains.ts';
import { samlMetadataValidity } from './0021_saml_metadata_validity.ts';
import { authzPendingTupleOutcomes } from './0022_authz_pending_tuple_outcomes.ts';
import { authzStorePurges } from './0023_authz_store_purges.ts';

/** A forward-only schema step. Never edit one that has shipped: add the next number. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [foundation, authz, directory, sso, authzApi, perfIndexes, authzConditionIndex, samlSpRotation, directoryUnicodeNfc, ssoUnmapPending, spCertificateUsage, ssoReauthentication, samlSha1Policy, connectionDirectory, directoryCaseFold, emailTypeFoldedIndex, sessionIdpEnd, oidcGoogleDomains, authzPendingTupleWork, authzPendingTupleDrains, samlMetadataValidity, authzPendingTupleOutcomes, authzStorePurges];
