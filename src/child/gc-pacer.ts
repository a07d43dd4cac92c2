// A copy child drops each download chunk once it is in a part buffer, but V8 frees a Buffer's memory only
// when a GC finds its JS object dead, and the copy allocates too little JS heap for V8 to collect often:
// dead chunks pile up in RSS and a long copy peaks higher than a short one. A minor GC every GC_PACE_BYTES
// read bounds the young garbage; a full GC every MAJOR_GC_BYTES bounds what outlives two scavenges (the
// Buffers' memory lies outside the heap, so V8's own full GCs come late). Bytes read straight into part
// buffers (net/direct-body.ts) leave no chunk and count towards the full GC only. Why these intervals, with
// the measurements: docs/design.md#the-measurements-behind-the-flags.
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
