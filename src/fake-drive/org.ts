// The fake Drive's organisation: users (each with a My Drive), the JWT bearer grant that issues a token per
// JWT `sub`, and the Directory API's users.list, so an organisation run is tested through the real clients.
import { verify } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface FakeUser {
  /** primaryEmail; also the JWT `sub` a service account impersonates it with. */
  email: string;
  suspended?: boolean;
  isAdmin?: boolean;
  /** Active, but the grant for this `sub` is refused (delegation not granted to the client for this user's unit). */
  refuseToken?: boolean;
}

export interface FakeOrgOptions {
  users: FakeUser[];
  /** The service account allowed the JWT grant (its client_email), with domain-wide delegation to every user. */
  serviceAccountEmail: string;
  /** Its public key (PEM): when set, an assertion's RS256 signature is verified; otherwise it is only parsed. */
  serviceAccountPublicKey?: string;
}

/** The claims of an assertion the fake accepted. */
export interface JwtClaims {
  iss: string;
  sub?: string;
  aud: string;
  scope: string;
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** Parse (and, with a key, verify) a JWT bearer assertion against the expected audience. */
export function checkAssertion(assertion: string, audience: string, org: FakeOrgOptions): JwtClaims {
  const parts = assertion.split('.');
  if (parts.length !== 3) throw new AssertionError('assertion is not a JWT');
  const [header = '', body = '', signature = ''] = parts;
  let claims: Record<string, unknown>;
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>).alg;
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AssertionError('assertion header or claims are not JSON');
  }
  if (alg !== 'RS256') throw new AssertionError('assertion alg must be RS256');
  if (org.serviceAccountPublicKey !== undefined) {
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${body}`), org.serviceAccountPublicKey, Buffer.from(signature, 'base64url'));
    if (!ok) throw new AssertionError('Invalid JWT Signature.');
  }
  const { iss, sub, aud, scope, exp } = claims;
  if (iss !== org.serviceAccountEmail) throw new AssertionError(`unknown issuer ${String(iss)}`);
  if (aud !== audience) throw new AssertionError(`audience ${String(aud)} is not ${audience}`);
  if (typeof exp !== 'number' || exp * 1000 < Date.now()) throw new AssertionError('assertion expired');
  if (typeof scope !== 'string' || scope === '') throw new AssertionError('assertion has no scope');
  if (sub !== undefined && typeof sub !== 'string') throw new AssertionError('sub must be a string');
  return { iss, aud, scope, ...(sub === undefined ? {} : { sub }) };
}

/** One users.list page (customer my_customer), in the Directory API's shape. */
export function usersPage(users: readonly FakeUser[], url: URL): { status: number; body: unknown } {
  const p = url.searchParams;
  if (p.get('customer') !== 'my_customer' && p.get('domain') === null) {
    return { status: 400, body: { error: { code: 400, message: 'Bad Request: customer or domain required', errors: [{ reason: 'badRequest' }] } } };
  }
  const max = Math.min(500, Math.max(1, Number(p.get('maxResults') ?? '100') || 100));
  const token = p.get('pageToken');
  const offset = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  const page = users.slice(offset, offset + max).map((u) => ({
    kind: 'admin#directory#user',
    id: `uid-${Buffer.from(u.email).toString('hex').slice(0, 16)}`,
    primaryEmail: u.email,
    suspended: u.suspended ?? false,
    isAdmin: u.isAdmin ?? false,
  }));
  const body: Record<string, unknown> = { kind: 'admin#directory#users', users: page };
  if (offset + max < users.length) body.nextPageToken = Buffer.from(String(offset + max)).toString('base64url');
  return { status: 200, body };
}
