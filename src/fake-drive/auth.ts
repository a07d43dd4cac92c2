// The token endpoint: the OAuth refresh grant for one user and the JWT bearer grant an organisation's
// service account uses per subject (org.ts); which tokens are valid and whom each stands for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeDriveOptions } from './api.js';
import type { FakeDriveContext } from './context.js';
import { AssertionError, checkAssertion, JWT_BEARER_GRANT } from './org.js';
import type { FakeUser } from './org.js';
import { readBody, sendJson } from './respond.js';

export class FakeAuth {
  readonly validTokens: Set<string>;
  // Set once: revoking every token leaves the API refusing all requests rather than open.
  readonly authRequired: boolean;
  // Organisation tokens: who each issued token stands for (the JWT `sub`, or the service account itself).
  readonly tokenSubject = new Map<string, string>();
  readonly orgUsers: Map<string, FakeUser>;
  private issued = 0;

  constructor(private readonly options: FakeDriveOptions) {
    this.validTokens = new Set<string>(options.token === undefined ? [] : [options.token]);
    this.authRequired = options.token !== undefined || options.org !== undefined;
    this.orgUsers = new Map((options.org?.users ?? []).map((u) => [u.email, u]));
  }

  async handleToken(ctx: FakeDriveContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
    ctx.stats.tokenRequests++;
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') === JWT_BEARER_GRANT) return this.handleJwtGrant(ctx, form.get('assertion') ?? '', res);
    const oauth = this.options.oauth;
    const ok =
      oauth !== undefined &&
      form.get('grant_type') === 'refresh_token' &&
      form.get('refresh_token') === oauth.refreshToken &&
      form.get('client_id') === oauth.clientId &&
      form.get('client_secret') === oauth.clientSecret;
    if (!ok || this.options.token === undefined) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Bad refresh token or client.' });
      return;
    }
    sendJson(res, 200, { access_token: this.options.token, token_type: 'Bearer', expires_in: 3600, scope: 'https://www.googleapis.com/auth/drive.readonly' });
  }

  private handleJwtGrant(ctx: FakeDriveContext, assertion: string, res: ServerResponse): void {
    const org = this.options.org;
    if (org === undefined) return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'No organisation configured.' });
    let claims;
    try {
      claims = checkAssertion(assertion, `${ctx.baseUrl}/token`, org);
    } catch (err) {
      if (err instanceof AssertionError) return sendJson(res, 400, { error: 'invalid_grant', error_description: err.message });
      throw err;
    }
    const subject = claims.sub ?? claims.iss;
    const user = this.orgUsers.get(subject);
    if (claims.sub !== undefined && (user === undefined || user.suspended === true)) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' });
    }
    if (user?.refuseToken === true) {
      return sendJson(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
    }
    ctx.stats.tokenSubjects.push(subject);
    const token = `fake-token-${++this.issued}`;
    this.tokenSubject.set(token, subject);
    this.validTokens.add(token);
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
  }
}
