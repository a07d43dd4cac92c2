// What the fake Drive counts per request kind, for tests that assert the cost of a run.

export interface FakeDriveStats {
  requests: number;
  listRequests: number;
  metadataRequests: number;
  mediaRequests: number;
  exportRequests: number;
  tokenRequests: number;
  /** The JWT `sub` (or the service account's email without one) of every token issued by the JWT grant. */
  tokenSubjects: string[];
  /** Directory API users.list requests. */
  directoryRequests: number;
  /** Who made each files.list request (null without an organisation) and in which shared drive (null: My Drive). */
  listings: { subject: string | null; driveId: string | null }[];
  unauthorized: number;
  /** Requests that carried an API `key` parameter (a token passed as a bare string ends up there). */
  apiKeyRequests: number;
  /** Body bytes of media and export responses, in total and per file id. */
  bytesServed: number;
  bytesByFile: Map<string, number>;
  mediaRequestsByFile: Map<string, number>;
  /** The Range header of every media request, in order (null when none). */
  ranges: (string | null)[];
  /** Media responses open now, and the most open at once (parallel range streams, issue 21). */
  openMedia: number;
  peakOpenMedia: number;
}

export function emptyStats(): FakeDriveStats {
  return {
    requests: 0,
    listRequests: 0,
    metadataRequests: 0,
    mediaRequests: 0,
    exportRequests: 0,
    tokenRequests: 0,
    tokenSubjects: [],
    directoryRequests: 0,
    listings: [],
    unauthorized: 0,
    apiKeyRequests: 0,
    bytesServed: 0,
    bytesByFile: new Map(),
    mediaRequestsByFile: new Map(),
    ranges: [],
    openMedia: 0,
    peakOpenMedia: 0,
  };
}
