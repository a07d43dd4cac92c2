// What a copy child needs of Drive: the auth client and the API's base URL. Media downloads and export links
// are plain GETs through them (media-request.ts, download.ts), so a child never loads the generated Drive
// API (@googleapis/drive and googleapis-common) that listing needs: a child starts faster and smaller
// (docs/design.md#the-measurements-behind-the-flags).
import type { DriveAuth } from './auth.js';

export interface DriveEndpoint {
  /** The auth client, for authorised requests (it refreshes a token and retries once on a 401). */
  auth: DriveAuth;
  /** Base URL of the API, ending in '/'. */
  rootUrl: string;
}

export const DEFAULT_DRIVE_ROOT_URL = 'https://www.googleapis.com/';

export function driveEndpoint(auth: DriveAuth, rootUrl: string = DEFAULT_DRIVE_ROOT_URL): DriveEndpoint {
  return { auth, rootUrl: rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/` };
}
