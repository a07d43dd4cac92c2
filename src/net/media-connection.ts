// A keep-alive connection whose reads land in buffers its current reader chooses (net/tls `onread`), and the
// pool that keeps them between downloads. This is what lets a download write Drive's bytes straight into an
// upload's part buffer: through node:http every 64 KiB socket read became a fresh Buffer, copied once more
// by its parser into another fresh Buffer for the body, both left for the GC (see direct-body.ts).
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/** Per connection: the response head, and any read that does not land in a part buffer, goes here first. */
export const SPILL_BYTES = 64 * 1024;
/** An idle pooled connection is closed after this long (servers close theirs too; reuse retries that race). */
const IDLE_MS = 30_000;
/** Idle connections kept per origin; a child never has more downloads open than its concurrency. */
const MAX_IDLE_PER_ORIGIN = 16;
/**
 * A connection (TCP, and TLS's handshake) not made in this long fails retryably: undici's default. The OS
 * would take ~2 minutes to give up on a black-holed SYN, and a server that never answers the TLS handshake
 * would otherwise hold the download until its idle timeout.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The socket was not connected (and, for https, its TLS handshake done) within the connect timeout. */
export class ConnectTimeout extends Error {
  override readonly name = 'ConnectTimeout';
}

/** How a MediaConnection connects; MediaPool fills it in per origin. */
export interface ConnectOptions {
  tls: ConnectionOptions;
  connectTimeoutMs: number;
  /** A TLS session an earlier connection to this origin was given, to resume instead of a full handshake. */
  session: Buffer | undefined;
  /** A TLS session to keep for the next connection to this origin; null: forget it (the connection failed). */
  keepSession: (session: Buffer | null) => void;
}

/** Whoever owns the connection's reads at the moment: a response head, then a body. */
export interface ConnectionReader {
  /** A buffer the next socket read may write into directly, or null: into the connection's queue. */
  target(): Buffer | null;
  /** `n` bytes were written at the start of the last target() (landed: true), or were queued (false). */
  data(n: number, landed: boolean): void;
  /** Whether the socket should go on reading after this read. */
  wants(): boolean;
  /** The connection ended, failed or went idle past its timeout while this reader owned it. */
  ended(err: Error | null, timedOut: boolean): void;
}

/** Spill space handed to a read when the spill buffer is full of queued bytes (TLS can deliver after a pause). */
const OVERFLOW_BYTES = 16 * 1024;
/**
 * Most bytes a connection queues. Reading stops whenever no reader wants more, so only what TLS had already
 * decrypted (one socket read, ≤ 64 KiB) can arrive after that; more is a server or stream out of step. Within
 * DOWNLOAD_BUFFER_BYTES (source/drive/download.ts), which the memory plan counts per download.
 */
const MAX_QUEUED_BYTES = 2 * SPILL_BYTES;

export class MediaConnection {
  readonly socket: net.Socket;
  /** Served a response before: a failure before the next response's first byte may be the server's idle close. */
  reused = false;
  private readonly spill = Buffer.allocUnsafeSlow(SPILL_BYTES);
  /**
   * Bytes read and not yet taken by a reader, in order: regions of the spill buffer, then overflow buffers.
   * A TLS socket goes on delivering what it already decrypted after the reader paused it, and a reader may
   * not be attached yet: such bytes are kept here, never written over.
   */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private spillEnd = 0;
  private reader: ConnectionReader | null = null;
  /** How the socket ended, once it has: a reader attached afterwards is told at once. */
  private endedWith: { err: Error | null } | null = null;
  private given: Buffer;
  private givenIsTarget = false;

  constructor(
    readonly origin: string,
    url: URL,
    connect: ConnectOptions,
  ) {
    this.given = this.spill;
    const onread = {
      buffer: () => this.nextBuffer(),
      callback: (n: number) => this.onRead(n),
    };
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    if (secure) {
      // tls.connect takes `onread` as net.connect does (nodejs/node#35753); @types/node does not declare it.
      const options: ConnectionOptions & { onread: net.OnReadOpts } = {
        host,
        port,
        ...(net.isIP(host) ? {} : { servername: host }),
        ALPNProtocols: ['http/1.1'],
        onread,
        ...(connect.session ? { session: connect.session } : {}),
        ...connect.tls,
      };
      this.socket = tls.connect(options);
      // TLS 1.3 sends its tickets after the handshake; each is a session the next connection can resume.
      this.socket.on('session', (session: Buffer) => connect.keepSession(session));
    } else {
      this.socket = net.connect({ host, port, onread });
    }
    let connected = false;
    const timer = setTimeout(() => this.socket.destroy(new ConnectTimeout(`could not connect to ${origin} in ${connect.connectTimeoutMs / 1000} s`)), connect.connectTimeoutMs);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      clearTimeout(timer);
    });
    this.socket.once('close', () => clearTimeout(timer));
    // Like node:https's agent: a session that may have been the trouble is not offered again.
    this.socket.once('error', () => {
      if (!connected && secure) connect.keepSession(null);
    });
    this.socket.setNoDelay(true);
    this.socket.on('timeout', () => this.finish(null, true));
    this.socket.on('error', (err) => this.finish(err, false));
    this.socket.on('close', () => this.finish(null, false));
    this.socket.on('end', () => this.finish(null, false));
  }

  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable && this.queued === 0;
  }

  /** Bytes queued (read, not yet taken). */
  get pending(): number {
    return this.queued;
  }

  /** The queued bytes as one view when they lie end to end in the spill buffer (a response head), else null. */
  spillView(): Buffer | null {
    const first = this.queue[0];
    if (first === undefined) return this.spill.subarray(0, 0);
    let at = first.byteOffset;
    for (const b of this.queue) {
      if (b.buffer !== this.spill.buffer || b.byteOffset !== at) return null;
      at += b.length;
    }
    return this.spill.subarray(first.byteOffset - this.spill.byteOffset, at - this.spill.byteOffset);
  }

  /** Take up to `max` queued bytes, oldest first (a view valid until the next read), or null when none are. */
  take(max: number): Buffer | null {
    const head = this.queue[0];
    if (head === undefined || max <= 0) return null;
    const out = head.length <= max ? head : head.subarray(0, max);
    if (out === head) this.queue.shift();
    else this.queue[0] = head.subarray(max);
    this.queued -= out.length;
    if (this.queued === 0) this.spillEnd = 0;
    return out;
  }

  /** Hand the connection's reads to `reader` (null: nobody; bytes arriving then close the connection). */
  attach(reader: ConnectionReader | null): void {
    this.reader = reader;
    // The socket may end between a response's head and its body's reader attaching (a server closing after
    // a short body, a reset): that reader would otherwise wait for bytes that cannot come.
    if (reader !== null && this.endedWith !== null) {
      this.reader = null;
      reader.ended(this.endedWith.err, false);
    }
  }

  /** Only while a reader waits for bytes: a consumer holding us back is not a stalled server. */
  watchIdle(ms: number): void {
    this.socket.setTimeout(ms);
  }

  destroy(err?: Error): void {
    this.socket.destroy(err);
  }

  private nextBuffer(): Buffer {
    const target = this.queued === 0 ? (this.reader?.target() ?? null) : null;
    this.givenIsTarget = target !== null;
    if (target !== null) this.given = target;
    else if (this.spillEnd < this.spill.length) this.given = this.spill.subarray(this.spillEnd);
    else this.given = Buffer.allocUnsafe(OVERFLOW_BYTES);
    return this.given;
  }

  private onRead(n: number): boolean {
    const reader = this.reader;
    if (reader === null) {
      // Bytes on an idle connection: nobody asked for them, so the stream is out of step. Never reuse it.
      this.socket.destroy();
      return false;
    }
    if (this.givenIsTarget) reader.data(n, true);
    else {
      this.queue.push(this.given.subarray(0, n));
      this.queued += n;
      if (this.queued > MAX_QUEUED_BYTES) {
        this.socket.destroy(new Error(`more than ${MAX_QUEUED_BYTES} bytes arrived unasked`));
        return false;
      }
      // Where the read landed, which need not be where the last one ended (the buffer for a read is chosen
      // after the read before it, and the queue may have been emptied in between).
      if (this.given.buffer === this.spill.buffer) this.spillEnd = this.given.byteOffset - this.spill.byteOffset + n;
      reader.data(n, false);
    }
    return this.reader === reader && reader.wants();
  }

  private finish(err: Error | null, timedOut: boolean): void {
    const reader = this.reader;
    this.reader = null;
    if (!timedOut || reader === null) {
      this.endedWith ??= { err };
      this.socket.destroy();
    }
    reader?.ended(err, timedOut);
  }
}

/** 2xx answers in a row that the direct reader could not take, after which a process stops asking it. */
const MISSES_BEFORE_GIVING_UP = 3;

export class MediaPool {
  private readonly idle = new Map<string, MediaConnection[]>();
  /** The latest TLS session per origin, for the next connection to resume. */
  private readonly sessions = new Map<string, Buffer>();
  private misses = 0;

  /** tlsOptions: for tests (a CA of their own); production uses Node's default trust store. */
  constructor(
    private readonly tlsOptions: ConnectionOptions = {},
    private readonly connectTimeoutMs = CONNECT_TIMEOUT_MS,
  ) {}

  /** An idle connection to `url`'s origin, or a new one (always, when `fresh`). */
  take(url: URL, fresh = false): MediaConnection {
    const origin = `${url.protocol}//${url.host}`;
    const list = fresh ? undefined : this.idle.get(origin);
    for (let conn = list?.pop(); conn !== undefined; conn = list?.pop()) {
      if (!conn.usable) continue;
      conn.watchIdle(0);
      conn.socket.ref();
      return conn;
    }
    return new MediaConnection(origin, url, {
      tls: this.tlsOptions,
      connectTimeoutMs: this.connectTimeoutMs,
      session: this.sessions.get(origin),
      keepSession: (session) => {
        if (session === null) this.sessions.delete(origin);
        else this.sessions.set(origin, session);
      },
    });
  }

  /** A connection whose response was read to its end, for the next download to the same origin. */
  give(conn: MediaConnection): void {
    const list = this.idle.get(conn.origin) ?? [];
    if (!conn.usable || list.length >= MAX_IDLE_PER_ORIGIN) {
      conn.destroy();
      return;
    }
    conn.reused = true;
    conn.attach(null);
    conn.watchIdle(IDLE_MS);
    // Like node:http's agent: an idle connection does not keep the process alive.
    conn.socket.unref();
    list.push(conn);
    this.idle.set(conn.origin, list);
  }

  /**
   * Whether a download should try the direct reader. A server that frames its media some other way (chunked,
   * compressed) would otherwise cost every download a second request, against Drive's request quota.
   */
  get directWorthTrying(): boolean {
    return this.misses < MISSES_BEFORE_GIVING_UP;
  }

  /** A 2xx media response came framed the direct reader's way (true) or not. */
  noteFraming(plain: boolean): void {
    this.misses = plain ? 0 : this.misses + 1;
  }

  /** Close every idle connection (a child shutting down). */
  close(): void {
    for (const list of this.idle.values()) for (const conn of list) conn.destroy();
    this.idle.clear();
  }
}
