// A copy child reads its downloads as 16-64 KiB Buffers and drops each one as soon as it is copied into a
// part buffer, but V8 frees a Buffer's memory only when a GC finds its JS object dead. The copy allocates
// little JS heap per chunk, so the young generation fills slowly and, between two scavenges, tens of MB of
// dead chunks wait in RSS: a child's memory rose and fell by 20-30 MB while copying one file, and its peak
// grew with the length of the copy. A minor GC after every `everyBytes` read bounds that garbage at about
// `everyBytes`, for a fraction of a millisecond per collection (the young generation is 2 MB, see
// spawn-child). GC_PACE_BYTES is 1 MiB: every part size (5 MiB), as before, left a child copying 5 GiB
// 5-8 MB higher, and the 2 MB young generation needs the garbage collected before it fills; the children's
// CPU on the benchmark's mixed and 5 GiB sets did not change measurably (spawn-child has the figures).
//
// Some of it still survives two scavenges and reaches the old generation: a chunk that waits in a stream
// while the part it belongs to waits for a buffer, the SDK's objects for a part in flight. There it waits
// for a full GC, which V8 starts on the JS heap's growth (the Buffers' memory lies outside the heap, and
// V8 starts a GC for it only after tens of MB): while one child copied 5 GiB its external memory and its JS
// heap each grew by 0.6-0.9 MB per 64 MiB read until V8's full GC, ~every 384 MiB, so its peak sat 8-13%
// above a child copying 100 MiB. A full GC after every MAJOR_GC_BYTES read bounds that garbage by the bytes
// read instead of by V8's heuristics. Measured (28 Nov 2026, 00:55-01:35 UTC): the peak of one child
// copying 5 GiB, against 86-89 MB for 100 MiB, was 88-90 MB with a full GC every 128 MiB, 91-92 every
// 256 MiB, 92-93 every 512 MiB and 95-99 with V8 alone. The price is CPU, and more than the ~15 ms of
// marking each full GC takes (work V8's own incremental GCs do anyway): 2 × 5 GiB at 2 workers, three
// interleaved runs each, used 25.7-26.3 CPU s with V8 alone, 25.4-27.2 with a full GC every 512 MiB and
// 27.9-30.5 (-6 to -14% throughput) every 256 MiB. So 512 MiB: a long copy stays within ~7% of a short
// one for ~2% more CPU (+9.8% in the full benchmark at ba3239a, 82 → 90 MB, after the 64 KiB download buffer
// lowered the short copy's peak more than the long one's). On the mixed set (3.3 GB) a child at 8 workers
// reads ~0.4 GB: less than one interval.
//
// Bytes a download wrote straight into part buffers (net/direct-body.ts, the media path without a proxy)
// leave no chunk behind: they count towards the full GC only. Measured on the benchmark's mixed set
// (28 Nov 2026, --trace-gc): at 2 workers forced minor GCs 3,258 → 0, full GCs 32 → 9 and the children's GC
// pauses 2.2 → 0.5 s in all; at 8 workers full GCs 45 → 18.
//
// Needs --expose-gc (the supervisor starts children with it); without it (a processor run in a test's own
// process) this does nothing.

type Gc = (options?: { type: 'minor' }) => void;

function exposedGc(): Gc | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Gc) : null;
}

/** Bytes read between two minor GCs in a copy child. */
export const GC_PACE_BYTES = 1024 * 1024;
/** Bytes read between two full GCs in a copy child (checked at each minor GC's turn). */
export const MAJOR_GC_BYTES = 512 * 1024 * 1024;

/**
 * A counter of bytes read that runs a minor GC each time another `everyBytes` have gone by as chunks, and a
 * full GC instead at every `majorEveryBytes` of any kind (0: never). `gc()` without options is V8's full
 * collection: Node 20's `{ type: 'major' }` is not one.
 */
export function createGcPacer(everyBytes: number, majorEveryBytes: number): (bytes: number, chunks?: boolean) => void {
  const gc = exposedGc();
  if (gc === null || everyBytes <= 0) return () => undefined;
  let since = 0;
  let sinceMajor = 0;
  return (bytes, chunks = true) => {
    if (chunks) {
      since += bytes;
      if (since < everyBytes) return;
      sinceMajor += since;
      since = 0;
    } else {
      sinceMajor += bytes;
    }
    if (majorEveryBytes > 0 && sinceMajor >= majorEveryBytes) {
      sinceMajor = 0;
      since = 0;
      gc();
    } else if (chunks) {
      gc({ type: 'minor' });
    }
  };
}
