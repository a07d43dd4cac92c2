// An organisation run's report rows (issue 23): per user and per shared drive, what was copied, what was
// skipped and what failed, by reason. Copies and failures come from the journal by key range (a drive's keys
// share its users/<email>/ or shared-drives/<name>/ prefix); listing skips have no key, so the pass counts them.
import { finished } from 'node:stream/promises';
import type { JournalReader } from '../journal/journal-reader.js';
import { privateWriteStream } from '../private-files.js';
import { sourceKeyPrefix, sourceLabel } from './org-sources.js';
import type { OrgSources } from './org-pass.js';
import type { SourceRow } from '../observability/report.js';
import { SHARED_WITH_ME_SEGMENT } from '../source/drive/shared-with-me.js';

const add = (counts: Record<string, number>, reason: string, n: number): void => {
  counts[reason] = (counts[reason] ?? 0) + n;
};

/** A failure's reason without its particulars: the code before the first colon (`md5-mismatch: read …`). */
function reasonCode(error: string | null): string {
  const code = (error ?? '').split(':')[0]?.trim() ?? '';
  return code === '' ? 'unknown' : code.slice(0, 80);
}

export function sourceRows(journal: JournalReader, prefix: string, org: OrgSources): SourceRow[] {
  return org.sources.map((source) => {
    const label = sourceLabel(source);
    const failure = org.failures.find((f) => f.source === label);
    const row: SourceRow = { source: label, kind: source.kind, subject: source.subject, status: failure ? 'failed' : 'listed', reason: failure?.reason ?? null, files: 0, bytes: 0, pending: 0, skipped: { ...(org.listingSkips.get(label) ?? {}) }, failed: {} };
    for (const r of journal.keyRange(sourceKeyPrefix(prefix, source))) {
      if (r.status === 'done') {
        row.files += r.files;
        row.bytes += r.bytes;
      } else if (r.status === 'skipped') add(row.skipped, r.skip_reason ?? 'unknown', r.files);
      else if (r.status === 'failed') add(row.failed, reasonCode(r.last_error), r.files);
      else row.pending += r.files;
    }
    if (source.sharedWithMe !== undefined) {
      const shared = { files: 0, bytes: 0 };
      for (const r of journal.keyRange(`${sourceKeyPrefix(prefix, source)}${SHARED_WITH_ME_SEGMENT}/`)) {
        if (r.status !== 'done') continue;
        shared.files += r.files;
        shared.bytes += r.bytes;
      }
      row.sharedWithMe = shared;
    }
    return row;
  });
}

const CSV_COLUMNS = ['source', 'kind', 'subject', 'status', 'reason', 'files', 'bytes', 'pending', 'skipped', 'failed'] as const;

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const reasons = (counts: Record<string, number>): string => Object.entries(counts).map(([r, n]) => `${r}=${n}`).join(';');

/** RFC 4180 CSV, one line per drive; skipped and failed as `reason=count;…`. */
export function sourceRowsCsv(rows: readonly SourceRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([r.source, r.kind, r.subject, r.status, r.reason, r.files, r.bytes, r.pending, reasons(r.skipped), reasons(r.failed)].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The CSV beside --report: report.json → report.sources.csv. */
export function sourceRowsCsvPath(report: string): string {
  return `${report.replace(/\.json$/i, '')}.sources.csv`;
}

export async function writeSourceRowsCsv(path: string, rows: readonly SourceRow[]): Promise<void> {
  const out = await privateWriteStream(path);
  out.end(sourceRowsCsv(rows));
  await finished(out);
}
