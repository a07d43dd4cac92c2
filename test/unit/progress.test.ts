// The live progress block on a terminal: no row wider than the terminal, and a log line erases it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter, syncLine, type LiveTerminal, type ProgressSnapshot } from '../../src/observability/progress.js';
import { createLogger } from '../../src/observability/logger.js';
import type { MemoryPlan } from '../../src/supervisor/memory-plan.js';

const MB = 1024 * 1024;
const plan = { budgetMb: 7372, childSoftMb: 140, childHardMb: 176 } as MemoryPlan;

const log = createLogger({ level: 'silent' });

function terminal(columns: number): { out: LiveTerminal; written: string[] } {
  const written: string[] = [];
  return { out: { columns, write: (s: string) => written.push(s) > 0 }, written };
}

function snapshot(): ProgressSnapshot {
  return {
    phase: 'copying', listingComplete: true,
    filesTotal: 1_234_567, filesDone: 1_000_000, filesSkipped: 12_345, filesFailed: 678,
    bytesTotal: 9_876_543_210_000, bytesDone: 5_432_109_876_000,
    children: Array.from({ length: 4 }, (_, i) => ({ id: 100 + i, pid: 4000 + i, state: 'terminating', ussBytes: 150 * MB, rssBytes: 194 * MB, inFlight: 12 })),
    recycles: { 'soft-cap': 3, 'hard-cap': 1, 'heap-oom': 0, crash: 2, 'max-items': 5, budget: 0 },
    chargedBytes: 700 * MB, treeRssBytes: 876 * MB, paused: true, outage: null,
  };
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[\d*[AJK]/g;
// eslint-disable-next-line no-control-regex
const CURSOR_UP = /\x1b\[\d+A/;

function rows(text: string): string[] {
  return text.replace(ESCAPES, '').split('\n').filter((l) => l.length > 0);
}

for (const columns of [80, 60, 200]) {
  test(`on ${columns} columns no row of the block wraps`, () => {
    const t = terminal(columns);
    const reporter = new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot, out: t.out });
    reporter.tick();
    const drawn = rows(t.written.join(''));
    assert.equal(drawn.length, 7, 'three summary rows and one per child');
    for (const row of drawn) assert.ok(row.length < columns, `${row.length} ≥ ${columns}: ${row}`);
    if (columns >= 80) for (const row of drawn.slice(3)) assert.match(row, /12 in flight$/, 'the bar gives way before the figures do');
  });
}

test('clearBlock erases exactly the rows drawn, and the next draw starts below the log line', () => {
  const t = terminal(80);
  const reporter = new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot, out: t.out });
  reporter.tick();
  t.written.length = 0;
  reporter.clearBlock();
  assert.deepEqual(t.written, ['\x1b[7A\x1b[J']);
  t.written.length = 0;
  reporter.clearBlock();
  assert.deepEqual(t.written, [], 'nothing drawn: nothing to erase');
  reporter.tick();
  assert.doesNotMatch(t.written.join(''), CURSOR_UP, 'no cursor-up into the log line');
});

test('an outage puts "paused: <service> unreachable for Ns" first in the block, and in the log line', () => {
  const t = terminal(80);
  const withOutage = (): ProgressSnapshot => ({ ...snapshot(), outage: { service: 'Google Drive', downMs: 42_400 } });
  new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot: withOutage, out: t.out }).tick();
  const drawn = rows(t.written.join(''));
  assert.equal(drawn.length, 8);
  assert.match(drawn[0] ?? '', /^paused: Google Drive unreachable for 42s /);
  const lines: unknown[] = [];
  const capture = createLogger({ level: 'info', stream: { write: (l: string) => lines.push(JSON.parse(l)) } });
  new ProgressReporter({ mode: 'log', intervalMs: 1000, plan, log: capture, snapshot: withOutage }).tick();
  assert.deepEqual((lines[0] as { progress: { outage: unknown } }).progress.outage, { service: 'Google Drive', downS: 42 });
});

test('the drive pace row: the rate, its ceiling and the refusals, within the width', () => {
  const t = terminal(80);
  const withPace = (): ProgressSnapshot => ({ ...snapshot(), drivePace: { subjects: 1, rate: 87.25, ceiling: 200, answered: 9_950, refused: 50 } });
  const reporter = new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot: withPace, out: t.out });
  reporter.tick();
  const drawn = rows(t.written.join(''));
  assert.equal(drawn.length, 8, 'the pace row joins the summary rows');
  const row = drawn.find((r) => r.startsWith('drive pace'));
  assert.equal(row, 'drive pace 87.3 req/s (ceiling 200)  refused for the rate 50 (0.5%)');
});

test('the drive pace row of an organisation run: the users with a pace of their own and their total', () => {
  const t = terminal(80);
  const withPaces = (): ProgressSnapshot => ({ ...snapshot(), drivePace: { subjects: 3, rate: 412.5, ceiling: 200, answered: 9_950, refused: 50 } });
  new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot: withPaces, out: t.out }).tick();
  const row = rows(t.written.join('')).find((r) => r.startsWith('drive pace'));
  assert.equal(row, 'drive pace 412.5 req/s for 3 users (≤200 each)  refused for the rate 50 (0.5%)');
});

test('the sync row: the lag first, then what the pass has left and the last pass by kind, within the width', () => {
  const sync = { running: 'delta' as const, lagS: 125, pending: 1_234_567, last: { kind: 'delta' as const, new: 12_345, changed: 23_456, moved: 34_567, deleted: 45_678 }, passes: { full: 1, delta: 40 } };
  for (const columns of [60, 80, 200]) {
    const t = terminal(columns);
    new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot: () => ({ ...snapshot(), sync }), out: t.out }).tick();
    const drawn = rows(t.written.join(''));
    assert.equal(drawn.length, 8, 'the sync row joins the summary rows');
    for (const row of drawn) assert.ok(row.length < columns, `${row.length} ≥ ${columns}: ${row}`);
    const row = drawn.find((r) => r.startsWith('sync '));
    if (columns === 200) assert.equal(row, 'sync lag 2m05s  delta pass, 1234567 to apply  last delta: 12345 new, 23456 changed, 34567 moved, 45678 deleted');
    else assert.match(row ?? '', /^sync lag 2m05s {2}delta pass, 1234567 to apply/);
  }
  assert.equal(syncLine({ running: null, lagS: null, pending: 0, last: null, passes: { full: 0, delta: 0 } }), 'sync lag ? (no pass completed yet)  between passes');
  const lines: unknown[] = [];
  const capture = createLogger({ level: 'info', stream: { write: (l: string) => lines.push(JSON.parse(l)) } });
  new ProgressReporter({ mode: 'log', intervalMs: 1000, plan, log: capture, snapshot: () => ({ ...snapshot(), sync }) }).tick();
  assert.deepEqual((lines[0] as { progress: { sync: unknown } }).progress.sync, sync);
});

/** What a terminal shows after `text`: rows by cursor position, for the escapes the block uses (A, J, 2K). */
function screen(text: string): string[] {
  const shown: string[] = [];
  let row = 0;
  // eslint-disable-next-line no-control-regex
  for (const part of text.split(/(\x1b\[\d*[AJK])/)) {
    // eslint-disable-next-line no-control-regex
    const escape = /^\x1b\[(\d*)([AJK])$/.exec(part);
    if (escape) {
      if (escape[2] === 'A') row = Math.max(0, row - Number(escape[1] || 1));
      else if (escape[2] === 'J') shown.length = row;
      else shown[row] = '';
      continue;
    }
    for (const [i, piece] of part.split('\n').entries()) {
      if (i > 0) row++;
      shown[row] = (shown[row] ?? '') + piece;
    }
  }
  return shown.filter((r, i) => r !== '' || i < row);
}

test('a log line printed while the block is live lands above it, whole, and the block is drawn again intact below', () => {
  const t = terminal(80);
  const reporter = new ProgressReporter({ mode: 'tty', intervalMs: 1000, plan, log, snapshot, out: t.out });
  reporter.tick();
  const block = screen(t.written.join(''));
  assert.equal(block.length, 7);
  const line = '{"level":"warn","time":"2026-12-04T20:00:00.000Z","pid":1,"childId":3,"msg":"a warning longer than the terminal is wide, and raw JSON at that"}';
  reporter.above(() => t.out.write(`${line}\n`));
  assert.deepEqual(screen(t.written.join('')), [line, ...block], 'the line first, then every row of the block');
  reporter.tick();
  reporter.above(() => t.out.write('second\n'));
  reporter.tick();
  assert.deepEqual(screen(t.written.join('')), [line, 'second', ...block], 'later draws stay below both lines');
  reporter.stop();
  reporter.above(() => t.out.write('after\n'));
  assert.deepEqual(screen(t.written.join('')), [line, 'second', ...block, 'after'], 'the display stopped: lines follow the last block');
});
