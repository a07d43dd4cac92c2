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
// Needs --expose-gc (the supervisor starts children with it); without it (a processor run in a test's own
// process) this does nothing.

type MinorGc = (options: { type: 'minor' }) => void;

function minorGc(): MinorGc | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as MinorGc) : null;
}

/** Bytes read between two minor GCs in a copy child. */
export const GC_PACE_BYTES = 1024 * 1024;

/** A counter of bytes read that runs a minor GC each time another `everyBytes` have gone by. */
export function createGcPacer(everyBytes: number): (bytes: number) => void {
  const gc = minorGc();
  if (gc === null || everyBytes <= 0) return () => undefined;
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    gc({ type: 'minor' });
  };
}
