// Build the Drive auth client from the settings. The classes come from google-auth-library, the one copy
// installed: package.json pins it to the version @googleapis/drive's own `auth` re-exports, so the Drive
// client's types (and instanceof checks) accept it, and a copy child loads the auth library without the
// generated Drive API (drive-endpoint.ts says why).
// A plain access token is set as an OAuth2 credential: passed as a bare string the client would send it
// as an API `key` parameter, which Drive rejects for user data.
import { readFileSync } from 'node:fs';
import { Compute, ExternalAccountClient, JWT, OAuth2Client } from 'google-auth-library';
import { ConfigError } from '../../errors.js';
import { registerSecret } from '../../observability/redact.js';
import { GOOGLE_TOKEN_URI, TokenUriJwt } from './token-uri-jwt.js';

export const DRIVE_READONLY_SCOPE = 'https://www.googleapis.com/auth/drive.readonly';

/** What ExternalAccountClient.fromJSON builds (identity pool, AWS or pluggable executable credentials). */
type ExternalClient = NonNullable<ReturnType<typeof ExternalAccountClient.fromJSON>>;
/** What the Drive client accepts as `auth` and what export downloads call `.request()` on. */
export type DriveAuth = OAuth2Client | JWT | ExternalClient | Compute;

/**
 * `--google-credentials metadata-server`: tokens from the GCE/GKE metadata server — on GKE, the Google
 * service account the pod's Kubernetes service account is bound to (Workload Identity), asked for the
 * Drive scope. No file and no key in the pod. GCE_METADATA_HOST points it elsewhere (the tests' fake).
 */
export const METADATA_SERVER_CREDENTIALS = 'metadata-server';

export interface DriveAuthOptions {
  accessToken?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  oauthRefreshToken?: string;
  /** Domain-wide delegation: the user a service account acts as (JWT `subject`). */
  impersonate?: string;
  /** A credentials JSON file (service_account, external_account or authorized_user). */
  credentialsFile?: string;
  /** OAuth token endpoint override (the fake Drive's /token in tests; default Google's). */
  tokenUrl?: string;
  /** OAuth scopes a service account asks for; default Drive read-only (the directory asks for its own). */
  scopes?: string[];
  /** Falls back to GOOGLE_APPLICATION_CREDENTIALS when no other credential is given; default process.env. */
  env?: NodeJS.ProcessEnv;
}

type Json = Record<string, unknown>;
type ExternalCredentials = Parameters<typeof ExternalAccountClient.fromJSON>[0];

function str(json: Json, key: string): string | undefined {
  const v = json[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function readCredentialsFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`credentials file ${file} cannot be read (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never echo the parser message: it quotes the file's content, which may hold a private key.
    throw new ConfigError(`credentials file ${file} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`credentials file ${file} is not a JSON object`);
  }
  return parsed as Json;
}

function oauthClient(clientId: string | undefined, clientSecret: string | undefined, tokenUrl: string | undefined): OAuth2Client {
  return new OAuth2Client({
    ...(clientId === undefined ? {} : { clientId }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(tokenUrl === undefined ? {} : { endpoints: { oauth2TokenUrl: tokenUrl } }),
  });
}

function fromCredentialsFile(file: string, options: DriveAuthOptions): DriveAuth {
  const json = readCredentialsFile(file);
  const type = str(json, 'type');
  switch (type) {
    case 'service_account': {
      const email = str(json, 'client_email');
      const key = str(json, 'private_key');
      if (email === undefined || key === undefined) {
        throw new ConfigError(`credentials file ${file}: service_account needs client_email and private_key`);
      }
      registerSecret(key);
      registerSecret(str(json, 'private_key_id'));
      const keyId = str(json, 'private_key_id');
      const jwtOptions = {
        email,
        key,
        ...(keyId === undefined ? {} : { keyId }),
        scopes: options.scopes ?? [DRIVE_READONLY_SCOPE],
        ...(options.impersonate === undefined ? {} : { subject: options.impersonate }),
      };
      // The key file's token_uri is where its exchange goes (a private or test endpoint needs no other flag).
      const tokenUri = str(json, 'token_uri');
      if (tokenUri === undefined || tokenUri === GOOGLE_TOKEN_URI) return new JWT(jwtOptions);
      if (!/^https?:\/\//.test(tokenUri)) throw new ConfigError(`credentials file ${file}: token_uri must be an http(s) URL`);
      return new TokenUriJwt(jwtOptions, tokenUri);
    }
    case 'authorized_user': {
      if (options.impersonate !== undefined) throw new ConfigError('--impersonate needs a service account credentials file');
      const refreshToken = str(json, 'refresh_token');
      if (refreshToken === undefined) throw new ConfigError(`credentials file ${file}: authorized_user needs refresh_token`);
      registerSecret(refreshToken);
      registerSecret(str(json, 'client_secret'));
      const client = oauthClient(str(json, 'client_id'), str(json, 'client_secret'), options.tokenUrl);
      client.setCredentials({ refresh_token: refreshToken });
      return client;
    }
    case 'external_account': {
      if (options.impersonate !== undefined) throw new ConfigError('--impersonate needs a service account credentials file');
      // Workload identity federation. We build the client from JSON whose type we checked ourselves: loading
      // an unchecked credential file is the risk GoogleAuth's keyFilename/credentials options are deprecated for.
      let client: ExternalClient | null;
      try {
        client = ExternalAccountClient.fromJSON({ ...(json as unknown as ExternalCredentials), scopes: [DRIVE_READONLY_SCOPE] });
      } catch (err) {
        throw new ConfigError(`credentials file ${file}: invalid external_account configuration (${err instanceof Error ? err.message : 'unknown error'})`);
      }
      if (client === null) throw new ConfigError(`credentials file ${file}: not a usable external_account configuration`);
      return client;
    }
    default:
      throw new ConfigError(
        `credentials file ${file}: unsupported type ${JSON.stringify(type ?? null)} (expected service_account, external_account or authorized_user)`,
      );
  }
}

/** The auth client for the settings; throws ConfigError naming the setting when they are missing or malformed. */
export function createDriveAuth(options: DriveAuthOptions): DriveAuth {
  const env = options.env ?? process.env;
  const { accessToken, oauthClientId, oauthClientSecret, oauthRefreshToken } = options;
  registerSecret(accessToken);
  registerSecret(oauthClientSecret);
  registerSecret(oauthRefreshToken);
  const anyOauth = oauthClientId ?? oauthClientSecret ?? oauthRefreshToken;
  if (anyOauth !== undefined) {
    if (oauthRefreshToken === undefined) throw new ConfigError('--oauth-refresh-token is required with --oauth-client-id/--oauth-client-secret');
    if (oauthClientId === undefined) throw new ConfigError('--oauth-client-id is required with --oauth-refresh-token');
    if (oauthClientSecret === undefined) throw new ConfigError('--oauth-client-secret is required with --oauth-refresh-token');
    if (options.impersonate !== undefined) throw new ConfigError('--impersonate needs a service account credentials file, not OAuth user credentials');
    const client = oauthClient(oauthClientId, oauthClientSecret, options.tokenUrl);
    client.setCredentials({ refresh_token: oauthRefreshToken, ...(accessToken === undefined ? {} : { access_token: accessToken }) });
    return client;
  }
  if (accessToken !== undefined) {
    if (accessToken.trim() === '') throw new ConfigError('--drive-access-token is empty');
    if (options.impersonate !== undefined) throw new ConfigError('--impersonate needs a service account credentials file, not an access token');
    const client = oauthClient(undefined, undefined, options.tokenUrl);
    client.setCredentials({ access_token: accessToken });
    return client;
  }
  const file = options.credentialsFile ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  if (file === METADATA_SERVER_CREDENTIALS) {
    if (options.impersonate !== undefined) throw new ConfigError('--impersonate needs a service account credentials file, not the metadata server (its tokens cannot act as a user)');
    return new Compute({ scopes: [DRIVE_READONLY_SCOPE] });
  }
  if (file !== undefined && file !== '') return fromCredentialsFile(file, options);
  throw new ConfigError(
    'no Drive credentials: set --drive-access-token, --oauth-client-id/--oauth-client-secret/--oauth-refresh-token, or --google-credentials (GOOGLE_APPLICATION_CREDENTIALS): a JSON file, or metadata-server on GKE/GCE',
  );
}
