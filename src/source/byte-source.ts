// The bytes a Source opens (source.ts): read into the caller's buffer, whatever carries them. Two kinds:
// a direct body (net/direct-body.ts) writes socket reads straight into that buffer; a Node Readable (the
// node:http and gaxios paths, readable-bytes.ts) has its chunks copied in. Callers (copy/part-reader.ts,
// range-reader.ts, prefix-hash.ts) see only this interface.

export interface ByteSource {
  /** Whether its bytes arrive as chunk Buffers the GC must collect (child/gc-pacer.ts), not in the caller's buffer. */
  readonly chunked: boolean;
  /**
   * Fill `target` from its start with the next bytes; resolves with how many (fewer than target.length only
   * at the end, 0 after it). `onBytes` sees each region as it lands, in order, within `target`.
   */
  readInto(target: Buffer, onBytes?: (view: Buffer) => void): Promise<number>;
  /** Whether another byte follows (false at the end), without taking it. */
  more(): Promise<boolean>;
  /** Stop: the connection is let go and a read still waiting rejects. Safe to call more than once. */
  destroy(): void;
}
