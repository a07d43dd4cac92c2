// Secrets never reach a log line. Two layers: pino's path redaction for fields that are secret by name,
// and a last pass over every serialized line that masks the exact secret values this process was given
// (tokens, keys, client secrets) and the signing parts of URLs.

const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'private_key',
  'privateKey',
  'secretAccessKey',
  'sessionToken',
  'authorization',
  'Authorization',
  'password',
];

/** pino `redact.paths`: secret-named fields at the top level and one or two levels down. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

const registered = new Set<string>();

/** Remember a secret value so that it is masked wherever it appears. Short values are ignored (false positives). */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) registered.add(value);
}

export function registeredSecrets(): string[] {
  return [...registered];
}

// Query parameters that sign or authorise a URL (S3 presigned URLs, OAuth tokens in query strings).
const URL_SECRET_PARAM = /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|access_token|key|token)=)[^&"\s]+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*-----END [A-Z ]*PRIVATE KEY-----/g;
const ESCAPED_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\\n|[^-])*-----END [A-Z ]*PRIVATE KEY-----/g;

export function redactText(text: string): string {
  let out = text.replace(URL_SECRET_PARAM, '$1[REDACTED]').replace(BEARER, '$1[REDACTED]');
  out = out.replace(ESCAPED_PEM, '[REDACTED PRIVATE KEY]').replace(PEM, '[REDACTED PRIVATE KEY]');
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    // A secret inside a JSON string is escaped; mask that form too.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join('[REDACTED]');
  }
  return out;
}
