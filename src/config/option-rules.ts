// The checks between settings, beside the table: each reads only what it names, so it holds for the whole
// Settings (resolveSettings) and for the part of them one backend receives (resolveS3Options, a child's
// payload). Checks of one value (bounds, choices, URLs) are the rows' own (option-value.ts).
import { ConfigError } from '../errors.js';
import type { Settings } from './settings.js';

type Rule = (s: Partial<Settings>) => string | null;

const RULES: readonly Rule[] = [
  (s) => (s.s3KmsKeyId && s.s3Sse !== 'aws:kms' ? '--s3-kms-key-id (SUPERVISOR_S3_KMS_KEY_ID) needs --s3-sse aws:kms' : null),
  (s) =>
    (s.oauthClientId || s.oauthClientSecret || s.oauthRefreshToken) && !(s.oauthClientId && s.oauthClientSecret && s.oauthRefreshToken)
      ? 'OAuth needs all three: --oauth-client-id, --oauth-client-secret and --oauth-refresh-token (SUPERVISOR_OAUTH_*)'
      : null,
  (s) =>
    s.childRssSoftMb !== undefined && s.childRssHardMb !== undefined && s.childRssSoftMb >= s.childRssHardMb
      ? `invalid --child-rss-soft-mb (SUPERVISOR_CHILD_RSS_SOFT_MB): ${s.childRssSoftMb} must be below --child-rss-hard-mb ${s.childRssHardMb}`
      : null,
  (s) =>
    s.budgetPausePct !== undefined && s.budgetRecyclePct !== undefined && s.budgetPausePct > s.budgetRecyclePct
      ? `invalid --budget-pause-pct (SUPERVISOR_BUDGET_PAUSE_PCT): ${s.budgetPausePct} must not exceed --budget-recycle-pct ${s.budgetRecyclePct}`
      : null,
];

/** Refuse the first broken rule, in one line. */
export function checkRules(s: Partial<Settings>): void {
  for (const rule of RULES) {
    const broken = rule(s);
    if (broken !== null) throw new ConfigError(broken);
  }
}
