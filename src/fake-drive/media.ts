// files.get?alt=media and exports: ranges, generated bodies, the WAN throttle and faults that cut a body short.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { contentStream } from './content.js';
import type { FakeDriveContext } from './context.js';
import type { Fault } from './faults.js';
import { sendDriveError, sendFault } from './respond.js';
import { exportSeed, hasBinaryContent } from './store.js';
import type { Node } from './store.js';
import { WORKSPACE_EXPORTS } from './tree.js';

export const DEFAULT_EXPORT_SIZE = 4096;

/** Parse `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; null = unsatisfiable/malformed. */
function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const n = Number(b);
    return n === 0 ? null : { start: Math.max(0, size - n), end: size };
  }
  const start = Number(a);
  const end = b === '' ? size : Math.min(size, Number(b) + 1);
  if (start >= size || end <= start) return null;
  return { start, end };
}

function countBytes(ctx: FakeDriveContext, id: string, n: number): void {
  const stats = ctx.stats;
  stats.bytesServed += n;
  stats.bytesByFile.set(id, (stats.bytesByFile.get(id) ?? 0) + n);
}

/** Stream `source` into `res`, ending normally, or per the fault (reset / truncate) once it is drained. */
function streamBody(ctx: FakeDriveContext, id: string, generated: Readable, res: ServerResponse, fault: Fault | undefined): void {
  generated.on('data', (chunk: Buffer) => countBytes(ctx, id, chunk.length));
  const throttle = ctx.wan.throttle(res.socket);
  const source = throttle ? generated.pipe(throttle) : generated;
  res.on('close', () => {
    generated.destroy();
    source.destroy();
  });
  const broken = fault !== undefined && fault.type !== 'status';
  source.pipe(res, { end: !broken });
  if (!broken) return;
  source.on('end', () => {
    // An empty write's callback runs once everything before it has been handed to the socket, however
    // large the body was: only then is the connection cut, so the client gets exactly `afterBytes`.
    res.write(Buffer.alloc(0), () => {
      const socket = res.socket;
      if (!socket) {
        res.destroy();
        return;
      }
      if (fault.type === 'reset') socket.resetAndDestroy();
      else socket.end();
    });
  });
}

export function handleMedia(ctx: FakeDriveContext, node: Node, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const { faults, wan } = ctx;
  const stats = ctx.stats;
  const id = node.spec.id;
  stats.mediaRequests++;
  stats.mediaRequestsByFile.set(id, (stats.mediaRequestsByFile.get(id) ?? 0) + 1);
  const rangeHeader = req.headers.range ?? null;
  stats.ranges.push(rangeHeader);
  stats.openMedia++;
  stats.peakOpenMedia = Math.max(stats.peakOpenMedia, stats.openMedia);
  const counted = stats;
  res.on('close', () => counted.openMedia--);
  let fault = faults.match('media', id);
  if (fault?.type === 'status') return sendFault(res, fault);
  if (!hasBinaryContent(node.spec.mimeType)) {
    return sendDriveError(res, 403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.');
  }
  if (node.spec.canDownload === false) return sendDriveError(res, 403, 'cannotDownloadFile', 'The user does not have permission to download this file.');
  if (node.spec.abusive === true && url.searchParams.get('acknowledgeAbuse') !== 'true') {
    return sendDriveError(res, 403, 'cannotDownloadAbusiveFile', 'This file has been identified as malware or spam and cannot be downloaded.');
  }
  let start = 0;
  let end = node.size;
  const headers: Record<string, string | number> = {
    'Content-Type': node.spec.mimeType,
    'Accept-Ranges': 'bytes',
  };
  let status = 200;
  if (rangeHeader !== null) {
    const range = parseRange(rangeHeader, node.size);
    if (!range) {
      res.writeHead(416, { 'Content-Range': `bytes */${node.size}` });
      res.end();
      return;
    }
    ({ start, end } = range);
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end - 1}/${node.size}`;
  }
  headers['Content-Length'] = end - start;
  const dropAfter = fault === undefined ? wan.dropAfter(end - start) : null;
  if (dropAfter !== null) fault = { type: 'reset', afterBytes: dropAfter };
  const cut = fault === undefined ? end : Math.min(end, start + fault.afterBytes);
  if (fault !== undefined) headers.Connection = 'close';
  res.writeHead(status, headers);
  const source = node.literal ? Readable.from([node.literal.subarray(start, cut)]) : contentStream(node.seed, start, cut);
  streamBody(ctx, id, source, res, fault);
}

export function handleExport(ctx: FakeDriveContext, id: string, url: URL, res: ServerResponse): void {
  ctx.stats.exportRequests++;
  const node = ctx.store.nodes.get(id);
  const mimeType = url.searchParams.get('mimeType') ?? '';
  const fault = ctx.faults.match('export', id);
  if (fault?.type === 'status') return sendFault(res, fault);
  if (!node || node.spec.trashed === true) return sendDriveError(res, 404, 'notFound', `File not found: ${id}.`);
  if (!(WORKSPACE_EXPORTS[node.spec.mimeType] ?? []).includes(mimeType)) {
    return sendDriveError(res, 400, 'badRequest', `Export to ${mimeType} is not supported for this file.`);
  }
  const size = node.spec.exportSize ?? DEFAULT_EXPORT_SIZE;
  const cut = fault === undefined ? size : Math.min(size, fault.afterBytes);
  // No Content-Length: Drive streams exports chunked, their size unknown up front.
  res.writeHead(200, { 'Content-Type': mimeType, ...(fault !== undefined ? { Connection: 'close' } : {}) });
  streamBody(ctx, id, contentStream(exportSeed(id, mimeType), 0, cut), res, fault);
}
