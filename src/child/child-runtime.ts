// The child's side of the protocol, behind a send port and an exit callback (main.ts wires them to the
// process; the process-level tests reach it through real children): load the processor on init,
// say ready, run up to `concurrency` items at once from the batches it is given, report start, progress,
// checkpoints and results, drain or shut down on request, and exit when the parent goes away.
import { pathToFileURL } from 'node:url';
import { isParentMessage, describeForeign, message } from '../ipc/protocol.js';
import type {
  BatchMessage,
  ChildMessage,
  ChildSettings,
  FatalMessage,
  ItemCheckpointMessage,
  ItemOutcome,
  ItemProgressMessage,
  ItemResultMessage,
  ItemReturnedMessage,
  ItemStartMessage,
  ReadyMessage,
  ServiceUnreachableMessage,
  WorkItem,
} from '../ipc/protocol.js';
import { serializeError } from '../ipc/serialized-error.js';
import { ServiceSignals } from '../ipc/service-signals.js';
import { ServiceDownError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import type { Processor, ProcessorFactory } from './processor.js';
import { PaceReporter } from './pace-reporter.js';

export interface ParentPort {
  send(msg: ChildMessage): Promise<void>;
}

interface Queued {
  batchId: string;
  item: WorkItem;
}

// Progress is a figure for humans and metrics; a few updates a second per item is plenty.
const PROGRESS_INTERVAL_MS = 250;

export class ChildRuntime {
  private processor: Processor | null = null;
  private settings: ChildSettings | null = null;
  private log: Logger;
  private readonly queue: Queued[] = [];
  private readonly running = new Map<string, AbortController>();
  /** Services the supervisor holds down: retries on them stop and hand their file back. */
  private readonly services = new ServiceSignals();
  private draining = false;
  private stopping: Promise<void> | null = null;
  private readonly pace = new PaceReporter((msg) => void this.port.send(msg));

  constructor(
    private readonly port: ParentPort,
    private readonly exit: (code: number) => void,
    bootLog: Logger,
  ) {
    this.log = bootLog;
  }

  async handle(raw: unknown): Promise<void> {
    if (!isParentMessage(raw)) {
      this.log.warn({ foreign: describeForeign(raw) }, 'ignored a foreign message from the parent');
      return;
    }
    switch (raw.kind) {
      case 'init':
        return this.init(raw.settings);
      case 'batch':
        return this.accept(raw);
      case 'drain':
        this.log.info({ reason: raw.reason }, 'draining: finishing held items, then exiting');
        this.draining = true;
        return this.maybeExitDrained();
      case 'shutdown':
        return this.shutdown(raw.graceMs, 'shutdown requested');
      case 'service-state':
        if (this.services.set(raw.service, raw.down)) this.log.info({ service: raw.service, down: raw.down }, raw.down ? 'the supervisor holds this service down: items retrying on it hand their file back' : 'the service answers again');
        return;
      case 'pace':
        this.processor?.pace?.(raw.subject, raw.ratePerSecond, raw.resumeAt);
        return;
      case 'pace-leave':
        // The pace's adaptation counts this subject's use per tick: what this child used goes in before it is gone.
        this.pace.flush(raw.subject);
        return;
    }
  }

  private async init(settings: ChildSettings): Promise<void> {
    this.settings = settings;
    this.log = createLogger({ level: settings.logLevel, base: { childId: settings.childId } });
    try {
      const mod = (await import(pathToFileURL(settings.processorPath).href)) as { default: ProcessorFactory };
      this.processor = await mod.default({
        childId: settings.childId,
        options: settings.processorOptions,
        log: this.log,
        reportPace: (subject, refused, retryAfterMs) => this.pace.record(subject, refused, retryAfterMs),
      });
    } catch (err) {
      this.log.error({ err }, 'processor failed to load');
      await this.port.send(message<FatalMessage>({ kind: 'fatal', error: serializeError(err) }));
      this.exit(1);
      return;
    }
    await this.port.send(message<ReadyMessage>({ kind: 'ready', childId: settings.childId, pid: process.pid }));
  }

  private accept(batch: BatchMessage): void {
    if (this.stopping) return; // the parent requeues whatever it sent after asking us to stop
    for (const item of batch.items) this.queue.push({ batchId: batch.batchId, item });
    this.pump();
  }

  private pump(): void {
    const concurrency = this.settings?.concurrency ?? 1;
    while (!this.stopping && this.running.size < concurrency) {
      const next = this.queue.shift();
      if (!next) break;
      void this.run(next);
    }
  }

  private async run({ batchId, item }: Queued): Promise<void> {
    const processor = this.processor;
    if (!processor) throw new Error('batch before init');
    const controller = new AbortController();
    this.running.set(item.id, controller);
    const log = this.log.child({ batchId, itemId: item.id, attempt: item.attempt });
    // Counted from the start, not from 0: an item that ends within the first interval (most small files)
    // then costs no progress message at all — IPC writes were a tenth of a copy child's CPU on small files.
    let lastProgress = Date.now();
    let outcome: ItemOutcome | null;
    try {
      await this.port.send(message<ItemStartMessage>({ kind: 'item-start', batchId, itemId: item.id }));
      outcome = await processor.process(item, {
        signal: controller.signal,
        log,
        progress: (bytes) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          void this.port.send(message<ItemProgressMessage>({ kind: 'item-progress', itemId: item.id, bytes }));
        },
        checkpoint: (checkpoint) => {
          void this.port.send(message<ItemCheckpointMessage>({ kind: 'item-checkpoint', itemId: item.id, checkpoint }));
        },
        services: {
          unreachable: (service, code) => void this.port.send(message<ServiceUnreachableMessage>({ kind: 'service-unreachable', itemId: item.id, service, code })),
          downSignal: (service) => this.services.downSignal(service),
        },
      });
    } catch (err) {
      if (err instanceof ServiceDownError) {
        log.info({ service: err.service }, 'handing the file back: its service is down');
        outcome = null;
        if (!controller.signal.aborted) await this.port.send(message<ItemReturnedMessage>({ kind: 'item-returned', batchId, itemId: item.id, service: err.service }));
      } else {
        outcome = { status: 'failed', error: serializeError(err), detail: {} };
      }
    }
    this.running.delete(item.id);
    // After a shutdown abort the parent requeues the item itself; a result would only race it.
    if (outcome !== null && !controller.signal.aborted) {
      await this.port.send(message<ItemResultMessage>({ kind: 'item-result', batchId, itemId: item.id, outcome }));
    }
    this.pump();
    await this.maybeExitDrained();
  }

  private async maybeExitDrained(): Promise<void> {
    if (this.draining && this.running.size === 0 && this.queue.length === 0) {
      await this.shutdown(5000, 'drained');
    }
  }

  /** Abort running items (their checkpoints stand), close the processor, exit 0. Idempotent. */
  shutdown(graceMs: number, reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason, running: this.running.size, queued: this.queue.length }, 'child stopping');
      this.queue.length = 0;
      for (const c of this.running.values()) c.abort(new Error(reason));
      const deadline = Date.now() + graceMs;
      while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      this.pace.flush();
      try {
        await this.processor?.close?.();
      } catch (err) {
        this.log.warn({ err }, 'processor close failed');
      }
      this.exit(0);
    })();
    return this.stopping;
  }
}
