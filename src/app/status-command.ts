// `supervisor status`: read the journal (read-only; works while a run is writing it).
import type { Settings } from '../config/settings.js';
import { ExitCode } from '../exit-codes.js';
import { JournalReader } from '../journal/journal-reader.js';
import { formatStatus } from '../journal/status.js';

export function statusCommand(settings: Settings): number {
  const journal = JournalReader.openReadOnly(settings.state);
  try {
    process.stdout.write(`${formatStatus(journal, { limit: 50 })}\n`);
  } finally {
    journal.close();
  }
  return ExitCode.Ok;
}
