// Which pass a run makes (issue 22) and what it leaves in the journal. A journal with a change token and a
// complete listing gets a delta pass from that token; otherwise (first run, an interrupted full pass,
// --full, or a token Drive refuses) a full pass, which takes a start token BEFORE it lists so that edits
// made while it lists are seen by the next delta. The token is stored only when the run completes.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '../config/settings.js';
import type { Shard } from '../config/shard.js';
import { ChangeTokenRefusedError } from '../source/drive/changes.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import type { Pacer } from '../source/drive/pacer.js';
import type { GoneRecord } from '../journal/delta-store.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../observability/logger.js';
import type { PassCounts } from '../observability/sync-status.js';
import { deleteObject } from '../target/s3/delete-object.js';
import { normalizePrefix } from '../keys/key-mapper.js';
import { shardManifestName, writeManifest } from './manifest.js';
import type { ManifestOutcome } from './manifest.js';
import type { DeltaCounts, DeltaResult } from './delta-pass.js';
import type { JournalWriteGuard } from './journal-write-guard.js';
import type { OutageView } from '../ipc/service-signals.js';
import { orgPass, orgPassLine } from './org-pass.js';
import type { DrivePass, OrgSources } from './org-pass.js';
import type { ServerCopyTarget } from './delta-moves.js';
import { deltaOfDrive, listInFull } from './drive-pass.js';
import type { DriveScope } from './drive-pass.js';
import type { ListingProgress } from './listing-task.js';

export interface PassContext {
  settings: Settings;
  drive: DriveClient;
  journal: Journal;
  guard: JournalWriteGuard;
  rootId: string;
  /** Normalised S3 prefix. */
  prefix: string;
  pacer: Pacer;
  shard: Shard | null;
  log: Logger;
  signal: AbortSignal;
  progress: ListingProgress;
  /** Entries were recorded: wake the dispatcher. */
  notify: () => void;
  /** Drive unreachable: the listing waits with dispatch (listing-task.ts). */
  outage?: OutageView | null;
  /** Where a delta copies renamed/moved objects inside S3 (delta-moves.ts); without it they are copied from Drive. */
  copy?: ServerCopyTarget;
  /** Before a delta with changes records anything: the S3 write probe an idle delta skips (run-command.ts). */
  beforeWrite?: () => Promise<void>;
  /** An organisation run (issue 23): the drives it lists, each as its own identity (org-pass.ts). */
  org?: OrgSources;
}

export interface PassResult {
  kind: 'full' | 'delta';
  /** The token the next delta starts from, stored by finishPass. */
  token: string;
  delta: DeltaResult | null;
  /** The stored token was refused and this became a full pass. */
  fellBack: boolean;
  /** Rows this pass found gone from Drive. */
  gone: number;
  /** When the pass read Drive (epoch ms): once it completes, every change before this instant is applied. */
  readAt: number;
  /** Renamed/moved files whose objects were copied inside S3 rather than from Drive. */
  serverCopied: number;
  /** An organisation run: journal rows of drives this run did not select, left as they are (org-pass.ts). */
  notSelected?: number;
  /** An organisation run: each drive's own pass and token (`token` and `delta` above are then their sums, unstored). */
  drives?: DrivePass[];
}

export interface PassFinish {
  deleted: number;
  deleteFailed: number;
  /** Gone rows whose objects stay (--deletes keep): what delete would remove. */
  kept: GoneRecord[];
  keptTotal: number;
  /** The manifest this pass wrote, or why it did not; null when writing it failed (the next pass retries). */
  manifest: ManifestOutcome | null;
  /** An organisation run: each selected drive's manifest under its own prefix, as `manifest` is (manifest is then null). */
  manifests?: (ManifestOutcome | null)[];
}

const KEPT_LISTED = 1000;

/** Which pass this run makes; `full` forces one. Pure: reads the journal only. */
export function passKind(journal: Journal, full: boolean): 'full' | 'delta' {
  return !full && journal.delta.changeToken() !== null && journal.listingState() === 'complete' ? 'delta' : 'full';
}

export async function runPass(c: PassContext): Promise<PassResult> {
  if (c.org) return orgPass(c, c.org);
  const token = c.journal.delta.changeToken();
  if (passKind(c.journal, c.settings.full) === 'delta' && token !== null) {
    try {
      return await deltaPass(c, token);
    } catch (err) {
      if (!(err instanceof ChangeTokenRefusedError)) throw err;
      c.log.warn({ detail: err.detail }, 'Drive no longer accepts the stored change token: making a full pass instead');
      return fullPass(c, true);
    }
  }
  return fullPass(c, false);
}

/** The journal's one drive, as a pass reads it (drive-pass.ts). */
function oneDrive(c: PassContext): DriveScope {
  return { settings: c.settings, drive: c.drive, store: c.journal.delta, rootId: c.rootId, prefix: c.prefix, pacer: c.pacer, shard: c.shard, log: c.log };
}

async function deltaPass(c: PassContext, token: string): Promise<PassResult> {
  const readAt = Date.now();
  const { delta, serverCopied } = await deltaOfDrive(c, oneDrive(c), token);
  return { kind: 'delta', token: delta.newToken, delta, fellBack: false, gone: delta.counts.gone, readAt, serverCopied };
}

async function fullPass(c: PassContext, fellBack: boolean): Promise<PassResult> {
  const { journal, guard } = c;
  const readAt = Date.now();
  const generation = journal.startNewListing();
  const token = await listInFull(c, oneDrive(c));
  guard.run(() => journal.setListingComplete(), undefined);
  // Reconcile: what earlier listings saw and this complete one did not is gone from Drive.
  const unseen = journal.delta.unseenByListing(generation);
  guard.run(() => journal.delta.markGone(unseen.map((r) => r.seq)), undefined);
  return { kind: 'full', token, delta: null, fellBack, gone: unseen.length, readAt, serverCopied: 0 };
}

/**
 * The run completed: apply --deletes to every gone row (this pass's and any an interrupted pass left), then
 * store the token and, for a delta, its folder changes. Not called for an interrupted run, which the next
 * run repeats from the same token.
 */
interface FinishContext {
  settings: Settings;
  journal: Journal;
  guard: JournalWriteGuard;
  log: Logger;
  s3: S3Client;
  bucket: string;
  /** An organisation run: the key prefixes (`<s3-prefix>/users/<email>/`) of the drives it selected, a manifest each. */
  drives?: readonly string[];
  /** A one-folder run's --shard: its manifest is named for it (an organisation shard holds whole drives). */
  shard: Shard | null;
}

export async function finishPass(c: FinishContext, pass: PassResult): Promise<PassFinish> {
  const { journal, guard } = c;
  let deleted = 0;
  let deleteFailed = 0;
  if (c.settings.deletes === 'delete') {
    for (const row of journal.delta.goneWithKeys()) {
      try {
        await deleteObject(c.s3, c.bucket, row.key);
      } catch (err) {
        deleteFailed++;
        c.log.warn({ key: row.key, err: err instanceof Error ? err.name : String(err) }, 'could not delete an object gone from Drive: the next pass tries again');
        continue;
      }
      guard.run(() => journal.delta.deleteRow(row.seq), undefined);
      deleted++;
    }
  }
  if (deleteFailed === 0) {
    const stores = pass.drives?.map((d) => ({ ...d, store: journal.deltaFor(d.prefix) })) ?? [{ ...pass, store: journal.delta }];
    guard.run(() => {
      for (const d of stores) {
        if (d.delta) d.store.finishDelta(d.delta.dropPrefixes, d.delta.folders, d.token, d.readAt);
        else d.store.setChangeToken(d.token, d.readAt);
      }
    }, undefined);
  }
  const kept = c.settings.deletes === 'keep' ? journal.delta.goneRows(KEPT_LISTED) : [];
  const keptTotal = c.settings.deletes === 'keep' ? journal.delta.goneCount() : 0;
  if (c.drives) {
    const manifests: (ManifestOutcome | null)[] = [];
    // In turn, not at once: each is gzipped to the same kind of temporary file beside the journal.
    for (const drive of c.drives) manifests.push(await passManifest(c, drive.slice(0, -1), drive, c.settings.manifestKey));
    return { deleted, deleteFailed, kept, keptTotal, manifest: null, manifests };
  }
  return { deleted, deleteFailed, kept, keptTotal, manifest: await passManifest(c, normalizePrefix(c.settings.s3Prefix), '', shardManifestName(c.settings.manifestKey, c.shard)) };
}

async function passManifest(c: FinishContext, prefix: string, rowsUnder: string, key: string): Promise<ManifestOutcome | null> {
  try {
    const out = await writeManifest({ journal: c.journal, s3: c.s3, bucket: c.bucket, prefix, key, statePath: c.settings.state, rowsUnder });
    if (!out.written && out.why === 'key-taken') c.log.warn({ key: out.key }, 'a Drive file is copied to the --manifest-key object: no manifest written; set --manifest-key to another name');
    return out;
  } catch (err) {
    c.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not write the manifest: the next pass tries again');
    return null;
  }
}

/** The pass's counts by kind for /metrics and the display; a full pass does not classify, it only finds what is gone. */
export function passCounts(pass: PassResult): PassCounts {
  const d = pass.delta?.counts;
  return { new: d?.new ?? 0, changed: d?.changed ?? 0, moved: d?.moved ?? 0, deleted: pass.gone };
}

/** One line for the summary: what the pass was and what it found. */
export function passLine(pass: PassResult, finish: PassFinish): string {
  const counts: DeltaCounts | null = pass.delta?.counts ?? null;
  const what =
    counts === null
      ? `full pass${pass.fellBack ? ' (the stored change token was refused)' : ''}: ${pass.gone} gone from Drive`
      : `${pass.kind === 'delta' ? 'delta pass' : `delta and full pass (${pass.gone} gone from Drive)`}: ${counts.changes} changes, ${counts.new} new, ${counts.changed} changed, ${counts.moved} renamed/moved, ${counts.gone} gone, ${counts.foldersListed} folders listed${pass.serverCopied > 0 ? `, ${pass.serverCopied} renamed/moved objects copied inside S3` : ''}`;
  const deletes =
    finish.keptTotal > 0 ? `; --deletes keep: ${finish.keptTotal} objects of files gone from Drive kept (delete would remove them)`
    : finish.deleted > 0 || finish.deleteFailed > 0 ? `; --deletes delete: ${finish.deleted} objects deleted${finish.deleteFailed > 0 ? `, ${finish.deleteFailed} failed (next pass retries)` : ''}`
    : '';
  const drives = pass.drives ? `; ${orgPassLine(pass.drives)}` : '';
  const outside = pass.notSelected ? `; ${pass.notSelected} rows of drives not in this run's selection left as they are` : '';
  return what + drives + outside + deletes;
}

/** The report's `pass` section: the kind, the delta's counts, and what --deletes removed or would remove. */
export function passReport(pass: PassResult, finish: PassFinish | null, deletes: 'keep' | 'delete'): Record<string, unknown> {
  return {
    kind: pass.kind,
    fellBack: pass.fellBack,
    complete: finish !== null,
    gone: pass.gone,
    ...(pass.notSelected !== undefined ? { notSelected: pass.notSelected } : {}),
    ...(pass.delta ? { counts: pass.delta.counts, serverCopied: pass.serverCopied } : {}),
    ...(pass.drives ? { drives: pass.drives.map((d) => ({ source: d.source, kind: d.kind, fellBack: d.fellBack, gone: d.gone, ...(d.delta ? { counts: d.delta.counts } : {}) })) } : {}),
    deletes,
    deleted: finish?.deleted ?? 0,
    deleteFailed: finish?.deleteFailed ?? 0,
    wouldDeleteTotal: finish?.keptTotal ?? 0,
    wouldDelete: (finish?.kept ?? []).map((g) => ({ key: g.key, id: g.driveId, path: g.path })),
    manifest: finish?.manifest ?? null,
    ...(finish?.manifests ? { manifests: finish.manifests } : {}),
  };
}
