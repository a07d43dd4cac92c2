// `plan` on a journal whose last pass stored a change token (issue 22): what the next delta would do, by
// kind, from Drive's changes and the folders they touch — nothing copied, nothing written to the journal.
import { existsSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import type { Shard } from '../config/shard.js';
import { ChangeTokenRefusedError } from '../source/drive/changes.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import { normalizePrefix } from '../keys/key-mapper.js';
import type { Pacer } from '../source/drive/pacer.js';
import { JournalReader } from '../journal/journal-reader.js';
import type { Logger } from '../observability/logger.js';
import { JournalError } from '../errors.js';
import { runDelta } from './delta-pass.js';
import { journalSource } from './journal-identity.js';

export interface DeltaPreviewOptions {
  settings: Settings;
  drive: DriveClient;
  rootId: string;
  prefix: string;
  pacer: Pacer;
  shard: Shard | null;
  log: Logger;
}

/** The line `plan` prints for the next delta, or null when the journal has no token (a full pass comes next). */
export async function previewDelta(o: DeltaPreviewOptions): Promise<string | null> {
  if (o.settings.full || !existsSync(o.settings.state)) return null;
  const journal = JournalReader.openReadOnly(o.settings.state);
  try {
    // Another source's journal would preview nonsense (its folders, its rows): refused, as `run` refuses it.
    const stored = journal.identity().source;
    const wanted = journalSource(o.settings, o.rootId, o.shard);
    if (stored !== wanted) {
      throw new JournalError(`journal ${o.settings.state} belongs to another source: it records ${JSON.stringify(stored)}, this plan is ${JSON.stringify(wanted)}; point --state at this source's journal`);
    }
    const store = journal.deltaStore();
    const token = store.changeToken();
    if (token === null || !journal.isListingComplete()) return null;
    try {
      const d = await runDelta({
        settings: o.settings,
        drive: o.drive,
        store,
        rootId: o.rootId,
        prefix: normalizePrefix(o.prefix),
        token,
        pacer: o.pacer,
        shard: o.shard,
        log: o.log,
        signal: new AbortController().signal,
        existing: (driveId, key) => store.existing(driveId, key),
        write: null,
      });
      const c = d.counts;
      return `next delta (journal ${o.settings.state}): ${c.changes} changes on Drive; ${c.new} new, ${c.changed} changed, ${c.moved} renamed/moved, ${c.gone} deleted (--deletes ${o.settings.deletes}); ${c.foldersListed} folders to list`;
    } catch (err) {
      if (err instanceof ChangeTokenRefusedError) return `next pass: full (Drive no longer accepts the journal's change token)`;
      throw err;
    }
  } finally {
    journal.close();
  }
}
