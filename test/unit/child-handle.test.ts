// ChildHandle's transitions on a stand-in process (an EventEmitter with the ChildProcess members the handle
// uses) and a fake clock: which transitions are allowed from which state, what they record, what they send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { ChildHandle } from '../../src/supervisor/child-handle.js';
import type { ChildExit } from '../../src/supervisor/child-handle.js';
import type { ParentMessage, WorkItem } from '../../src/ipc/protocol.js';
import { createLogger } from '../../src/observability/logger.js';

const log = createLogger({ level: 'silent' });

class FakeProcess extends EventEmitter {
  readonly pid = 4242;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  connected = true;
  readonly sent: ParentMessage[] = [];
  readonly signals: string[] = [];
  readonly stderr: PassThrough | null = null;
  send(msg: ParentMessage): boolean {
    this.sent.push(msg);
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

function handle(clock: { t: number }): { child: ChildHandle; proc: FakeProcess } {
  const proc = new FakeProcess();
  const child = new ChildHandle(7, proc as unknown as ChildProcess, log, () => clock.t);
  return { child, proc };
}

function item(id: string, sizeBytes = 10, bufferBytes = 100): WorkItem {
  return { id, attempt: 1, sizeBytes, bufferBytes, payload: {}, checkpoint: null };
}

test('ready moves starting → ready once, at the clock\'s time; work is accepted only when ready', () => {
  const clock = { t: 1000 };
  const { child } = handle(clock);
  assert.equal(child.state, 'starting');
  assert.equal(child.acceptsWork, false);
  clock.t = 1250;
  assert.equal(child.ready(), true);
  assert.deepEqual([child.state, child.readyAt, (child.readyAt ?? 0) - child.startedAt, child.acceptsWork], ['ready', 1250, 250, true]);
  clock.t = 2000;
  assert.equal(child.ready(), false, 'a second ready is late');
  assert.equal(child.readyAt, 1250);
});

test('assign puts items in flight and spends a reservation it fulfils; settle and release take them out', () => {
  const { child } = handle({ t: 0 });
  child.ready();
  child.reserve('b');
  child.assign('batch-1', [item('a', 10, 100), item('b', 20, 200)]);
  assert.deepEqual([child.inFlightCount, child.committedBufferBytes, child.inFlightSizeBytes, child.reservedFor], [2, 300, 30, null]);
  child.started('a');
  assert.equal(child.progress('a', 7)?.bytes, 7);
  assert.equal(child.checkpoint('a', { part: 3 })?.item.checkpoint?.part, 3);
  assert.equal(child.inFlightReadBytes, 7);
  assert.equal(child.settle('a')?.checkpoint?.part, 3);
  assert.equal(child.settle('a'), undefined, 'an item settles once');
  assert.equal(child.release('b')?.id, 'b');
  assert.deepEqual([child.inFlightCount, child.itemsSettled], [0, 1], 'a released item is not counted as settled');
  assert.equal(child.progress('zz', 1), undefined);
});

test('drain moves ready → draining, records the reason and the time, tells the child, and is refused twice', () => {
  const clock = { t: 0 };
  const { child, proc } = handle(clock);
  child.drain('soft-cap');
  assert.equal(child.state, 'starting', 'a starting child is not drained');
  child.ready();
  clock.t = 500;
  assert.equal(child.canRecycle('drain'), true);
  child.drain('soft-cap');
  assert.deepEqual([child.state, child.recycleReason, child.recycleDecidedAt, child.acceptsWork], ['draining', 'soft-cap', 500, false]);
  assert.deepEqual(proc.sent.map((m) => m.kind), ['drain']);
  assert.equal(child.canRecycle('drain'), false, 'a drain is decided once');
  assert.equal(child.canRecycle('kill'), true, 'a kill escalates a drain');
});

test('kill escalates a drain: → terminating, SIGKILL, the new reason; nothing more is allowed after', () => {
  const clock = { t: 0 };
  const { child, proc } = handle(clock);
  child.ready();
  child.drain('soft-cap');
  clock.t = 900;
  child.kill('hard-cap');
  assert.deepEqual([child.state, child.recycleReason, child.recycleDecidedAt, proc.signals], ['terminating', 'hard-cap', 900, ['SIGKILL']]);
  assert.equal(child.canRecycle('kill'), false);
});

test('exit: during start-up or not, SIGABRT without a recycle is a heap OOM, and releaseAll empties what it held', async () => {
  const early = handle({ t: 0 });
  early.proc.exit(1, null);
  const e1: ChildExit = await early.child.exited;
  assert.deepEqual([e1.duringStartup, e1.heapOom, early.child.state, early.child.alive], [true, false, 'exited', false]);

  const late = handle({ t: 0 });
  late.child.ready();
  late.child.assign('b', [item('x')]);
  late.proc.exit(null, 'SIGABRT');
  const e2 = await late.child.exited;
  assert.deepEqual([e2.duringStartup, e2.heapOom], [false, true]);
  assert.deepEqual(late.child.releaseAll().map((f) => f.item.id), ['x']);
  assert.equal(late.child.inFlightCount, 0);

  const killed = handle({ t: 0 });
  killed.child.ready();
  killed.child.kill('budget');
  killed.proc.exit(null, 'SIGABRT');
  assert.equal((await killed.child.exited).heapOom, false, 'a SIGABRT after our own kill decision is not blamed on the heap');
});

test('observe keeps the last and the peak sample', () => {
  const { child } = handle({ t: 0 });
  child.observe(50, 90);
  child.observe(30, 70);
  assert.deepEqual([child.lastUssBytes, child.lastRssBytes, child.peakUssBytes], [30, 70, 50]);
});

test('terminate asks over IPC once, then SIGKILLs after the grace period', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { child, proc } = handle({ t: 0 });
  child.ready();
  const exited = child.terminate(5000);
  void child.terminate(5000);
  assert.deepEqual(proc.sent.map((m) => m.kind), ['shutdown']);
  t.mock.timers.tick(4999);
  assert.deepEqual(proc.signals, []);
  t.mock.timers.tick(1);
  assert.deepEqual(proc.signals, ['SIGKILL']);
  proc.exit(null, 'SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
});

class PipedProcess extends FakeProcess {
  readonly stdout = new PassThrough();
  override readonly stderr = new PassThrough();
}

test("a child's output reaches the supervisor as whole lines, whatever the chunks, its stderr tail kept", async () => {
  const proc = new PipedProcess();
  const out: [string, string][] = [];
  const child = new ChildHandle(7, proc as unknown as ChildProcess, log, Date.now, (stream, lines) => out.push([stream, lines]));
  proc.stdout.write('{"level":"warn","ms');
  proc.stdout.write('g":"one"}\n{"level":"warn","msg":"two"}\n{"le');
  proc.stderr.write('FATAL ERROR: Reached heap limit\n');
  proc.stdout.end('vel":"error","msg":"last, no newline"}');
  proc.stderr.end();
  await Promise.all([once(proc.stdout, 'end'), once(proc.stderr, 'end')]);
  for (const [, lines] of out) assert.match(lines, /\n$/, 'every call ends on a whole line');
  const of = (stream: string): string => out.filter(([s]) => s === stream).map(([, lines]) => lines).join('');
  assert.equal(of('stdout'), '{"level":"warn","msg":"one"}\n{"level":"warn","msg":"two"}\n{"level":"error","msg":"last, no newline"}\n');
  assert.equal(of('stderr'), 'FATAL ERROR: Reached heap limit\n');
  assert.equal(child.stderrExcerpt, 'FATAL ERROR: Reached heap limit');
});
