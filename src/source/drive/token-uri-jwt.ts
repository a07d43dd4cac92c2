// A service account's JWT client whose token exchange goes to the `token_uri` its key file names.
// google-auth-library's JWT delegates to gtoken, which posts to Google's fixed URL and signs that URL as the
// assertion's audience (gtoken 8 has no option for either), so a private or test endpoint named in the key
// file would be ignored. This subclass signs and posts the RFC 7523 JWT bearer grant itself, to token_uri.
import { createSign } from 'node:crypto';
import { JWT, type JWTOptions } from 'google-auth-library';
import type { GetTokenResponse } from 'google-auth-library/build/src/auth/oauth2client.js';

/** Google's token endpoint: with it the stock client (gtoken) is used unchanged. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600;

/** The token endpoint refused the assertion (error and description from its answer, never the assertion). */
export class TokenExchangeError extends Error {
  constructor(message: string, readonly status: number | undefined) {
    super(message);
    this.name = 'TokenExchangeError';
  }
}

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A signed RS256 JWT bearer assertion (the private key never leaves this function). */
export function signAssertion(claims: Record<string, unknown>, key: string, keyId?: string): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(keyId === undefined ? {} : { kid: keyId }) }));
  const body = b64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key);
  return `${header}.${body}.${b64url(signature)}`;
}

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  id_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export class TokenUriJwt extends JWT {
  constructor(options: JWTOptions, readonly tokenUri: string) {
    super(options);
  }

  protected override async refreshTokenNoCache(): Promise<GetTokenResponse> {
    if (this.key === undefined || this.email === undefined) throw new TokenExchangeError('service account key or client_email missing', undefined);
    const iat = Math.floor(Date.now() / 1000);
    const scopes = this.scopes ?? this.defaultScopes;
    const claims = {
      iss: this.email,
      ...(this.subject === undefined ? {} : { sub: this.subject }),
      scope: Array.isArray(scopes) ? scopes.join(' ') : scopes,
      aud: this.tokenUri,
      iat,
      exp: iat + ASSERTION_LIFETIME_S,
      ...(this.additionalClaims ?? {}),
    };
    const assertion = signAssertion(claims, this.key, this.keyId);
    let data: TokenAnswer;
    let status: number;
    try {
      const res = await this.transporter.request<TokenAnswer>({
        method: 'POST',
        url: this.tokenUri,
        data: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }),
        responseType: 'json',
        retryConfig: { httpMethodsToRetry: ['POST'] },
      });
      data = res.data;
      status = res.status;
    } catch (err) {
      const res = (err as { response?: { status?: number; data?: TokenAnswer } }).response;
      const body = res?.data ?? {};
      const what = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : (err as Error).message;
      throw new TokenExchangeError(`token exchange at ${this.tokenUri} failed: ${what}`, res?.status);
    }
    if (typeof data.access_token !== 'string' || data.access_token === '') {
      throw new TokenExchangeError(`token exchange at ${this.tokenUri} answered ${status} without an access_token`, status);
    }
    const expiresIn = typeof data.expires_in === 'number' ? data.expires_in : undefined;
    const tokens = {
      access_token: data.access_token,
      token_type: 'Bearer',
      expiry_date: expiresIn === undefined ? null : (iat + expiresIn) * 1000,
      ...(typeof data.id_token === 'string' ? { id_token: data.id_token } : {}),
    };
    this.emit('tokens', tokens);
    return { res: null, tokens };
  }
}
