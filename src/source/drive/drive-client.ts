// The Drive v3 client. Small on purpose: only @googleapis/drive (never the whole `googleapis` package). The
// supervisor lists with it; copy children need only its endpoint (drive-endpoint.ts).
import { drive } from '@googleapis/drive';
import type { drive_v3 } from '@googleapis/drive';
import type { DriveAuth } from './auth.js';
import { driveEndpoint } from './drive-endpoint.js';
import type { DriveEndpoint } from './drive-endpoint.js';

export type Drive = drive_v3.Drive;

export interface DriveClient extends DriveEndpoint {
  drive: Drive;
}

export interface DriveClientOptions {
  auth: DriveAuth;
  /** Base URL of the API, e.g. the fake Drive's http://127.0.0.1:PORT/; default Google's. */
  rootUrl?: string;
}

export function createDriveClient(options: DriveClientOptions): DriveClient {
  const endpoint = driveEndpoint(options.auth, options.rootUrl);
  const client = drive({
    version: 'v3',
    auth: options.auth,
    rootUrl: endpoint.rootUrl,
    // googleapis-common turns on gaxios retries by default: they would hide 429s and 5xx from withRetry
    // (retry.ts), double the attempts and bypass the pacer. All retries go through withRetry instead.
    retry: false,
  });
  return { ...endpoint, drive: client };
}
