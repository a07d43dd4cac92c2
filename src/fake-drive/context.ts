// What the fake's route handlers share: the nodes, faults, network emulation and the current stats.
import type { FakeDriveOptions } from './api.js';
import type { FaultTable } from './faults.js';
import type { FakeDriveStats } from './stats.js';
import type { NodeStore } from './store.js';
import type { Wan } from './wan.js';

export interface FakeDriveContext {
  readonly options: FakeDriveOptions;
  readonly store: NodeStore;
  readonly faults: FaultTable;
  readonly wan: Wan;
  /** Replaced by resetStats, so handlers read it per request. */
  stats: FakeDriveStats;
  /** Known once the server listens; export links carry it. */
  baseUrl: string;
}
