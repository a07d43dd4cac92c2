// The Drive v3 client. Small on purpose: only @googleapis/drive (never the whole `googleapis` package).
import { drive } from '@googleapis/drive';
import type { drive_v3 } from '@googleapis/drive';
import type { DriveAuth } from './auth.js';

export type Drive = drive_v3.Drive;

export interface DriveClient {
  drive: Drive;
  /** The same auth client, for requests outside the generated API (export links, media downloads). */
  auth: DriveAuth;
  /** Base URL of the API, ending in '/' (media downloads are requested against it directly). */
  rootUrl: string;
}

export const DEFAULT_DRIVE_ROOT_URL = 'https://www.googleapis.com/';

export interface DriveClientOptions {
  auth: DriveAuth;
  /** Base URL of the API, e.g. the fake Drive's http://127.0.0.1:PORT/; default Google's. */
  rootUrl?: string;
}

export function createDriveClient(options: DriveClientOptions): DriveClient {
  const client = drive({
    version: 'v3',
    auth: options.auth,
    ...(options.rootUrl === undefined ? {} : { rootUrl: options.rootUrl }),
    // googleapis-common turns on gaxios retries by default: they would hide 429s and 5xx from withRetry
    // (retry.ts), double the attempts and bypass the pacer. All retries go through withRetry instead.
    retry: false,
  });
  const rootUrl = options.rootUrl ?? DEFAULT_DRIVE_ROOT_URL;
  return { drive: client, auth: options.auth, rootUrl: rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/` };
}
