// The processor the copy children load (the supervisor core only knows its path), and the child's composition
// root: the one place in copy/ that names the concrete ends. A DriveSource (one Drive endpoint: auth client
// and base URL, no generated API; this child's share of the shared Drive request rate) and an S3Target (one
// S3 client with a bounded socket pool), handed to copyItem behind their interfaces.
import type { ProcessorFactory } from '../child/processor.js';
import { createDriveAuth } from '../source/drive/auth.js';
import { driveEndpoint } from '../source/drive/drive-endpoint.js';
import { DriveSource } from '../source/drive/drive-source.js';
import { createPacer } from '../source/drive/pacer.js';
import type { Pacer } from '../source/drive/pacer.js';
import { OWN_SUBJECT, paceSubjectOf } from '../source/drive/pace-book.js';
import { createS3Client, maxSocketsFor } from '../target/s3/s3-client.js';
import { S3Target } from '../target/s3/s3-target.js';
import { limitPartBuffers } from './part-buffers.js';
import { registerSecret } from '../observability/redact.js';
import { createGcPacer, GC_PACE_BYTES, MAJOR_GC_BYTES } from '../child/gc-pacer.js';
import { copyOptionsFromJson } from './copy-options.js';
import { rangeQueueSize } from './range-reader.js';
import { copyItem } from './copy-item.js';

const factory: ProcessorFactory = ({ options: json, reportPace }) => {
  const options = copyOptionsFromJson(json);
  for (const v of Object.values(options.driveAuth)) if (typeof v === 'string') registerSecret(v);
  if (options.s3Credentials) registerSecret(options.s3Credentials.secretAccessKey);
  const s3 = createS3Client(options.s3, {
    maxSockets: maxSocketsFor(options.s3.uploadQueueSize, options.concurrency),
    // No SDK retries under ours: the copy's loop classifies, backs off, tells outages apart and counts (docs/design.md, Retries).
    maxAttempts: 1,
    ...(options.s3Credentials ? { credentials: options.s3Credentials } : {}),
  });
  // One bound for the part buffers of all this child's items (the plan counts it), reused across files.
  limitPartBuffers(options.s3.partSizeMb * 1024 * 1024, options.partBuffers);
  // One source and one pacer per identity: an organisation run's items name the user they are read as (issue 23),
  // so a child holds a token per user it meets, and paces by that user's share; items without a subject use the
  // run's own credentials (OWN_SUBJECT). A subject's first share arrives before its first batch; driveTps holds until then.
  const pacers = new Map<string, Pacer>();
  const pacerFor = (subject: string): Pacer => {
    let pacer = pacers.get(subject);
    if (pacer === undefined) {
      pacer = createPacer({ tps: options.driveTps, ...(reportPace ? { onResult: (r) => reportPace(subject, r.refused, r.retryAfterMs) } : {}) });
      pacers.set(subject, pacer);
    }
    return pacer;
  };
  const sources = new Map<string, DriveSource>();
  const sourceFor = (subject: string): DriveSource => {
    let source = sources.get(subject);
    if (source === undefined) {
      const auth = createDriveAuth({ ...options.driveAuth, ...(subject === OWN_SUBJECT ? {} : { impersonate: subject }), env: process.env });
      source = new DriveSource(driveEndpoint(auth, options.driveRootUrl ?? undefined), pacerFor(subject), options.acknowledgeAbuse);
      sources.set(subject, source);
    }
    return source;
  };
  const target = new S3Target(s3, options.s3);
  const rangeStreams = options.rangeStreams ?? 1;
  const policy = {
    retries: options.driveRetries,
    resumeMinBytes: options.resumeMinBytes,
    resumeRereadMaxBytes: options.resumeRereadMaxBytes,
    skipExisting: options.skipExisting,
    rangeStreams,
    rangeCutoffBytes: options.rangeCutoffBytes ?? Number.POSITIVE_INFINITY,
    rangeCapacity: rangeQueueSize(rangeStreams, options.s3.uploadQueueSize),
  };
  // One minor GC per MiB read across this child's items, so dead download chunks stay below a MiB's worth,
  // and a full one every 512 MiB for what outlived two minor ones (child/gc-pacer.ts says why and at what cost).
  const onBytesRead = createGcPacer(GC_PACE_BYTES, MAJOR_GC_BYTES);
  return {
    process: (item, ctx) => copyItem({ source: sourceFor(paceSubjectOf(item.payload)), target, policy, onBytesRead }, item, ctx),
    pace: (subject, rate, resumeAt) => pacerFor(subject).setRate(rate, resumeAt),
    close: () => {
      target.close();
      for (const source of sources.values()) source.close();
      return Promise.resolve();
    },
  };
};

export default factory;
