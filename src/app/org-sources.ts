// The drives an organisation run copies (issue 23), resolved once before the listing: each user's My Drive,
// read as that user, and each shared drive, read as one of its organizers (docs/design.md "Organisation
// sources" says why not as the admin). The supervisor alone reads the directory; children never load it.
import { JWT } from 'google-auth-library';
import type { Settings } from '../config/settings.js';
import { ConfigError, PreflightError } from '../errors.js';
import { mapNameSegment, resolveClashes } from '../keys/key-mapper.js';
import { createDriveAuth, DRIVE_READONLY_SCOPE } from '../source/drive/auth.js';
import type { DriveAuth } from '../source/drive/auth.js';
import { createDriveClient } from '../source/drive/drive-client.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import { DIRECTORY_USER_READONLY_SCOPE, findOrganizer, listDirectoryUsers, listSharedDrives } from '../source/drive/directory.js';
import type { RequestCall } from '../source/drive/directory.js';
import { listerCall } from '../source/drive/lister.js';
import { createPacer } from '../source/drive/pacer.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { classifyDriveError } from '../source/drive/retry.js';
import type { SharedWithMeScope } from '../source/drive/shared-with-me.js';
import { driveAuthOptions } from './source-target.js';
import type { Extras } from './source-target.js';

/** One drive of the organisation and the identity its files are listed and downloaded as. */
export interface SourceDrive {
  kind: 'user' | 'shared-drive';
  /** The user's address, or the shared drive's name (report rows, log lines). */
  name: string;
  /** 'root' for a My Drive, else the shared drive's id. */
  rootId: string;
  /** The JWT subject; null when none can read it (a shared drive without an organizer: see problem). */
  subject: string | null;
  /** Its key segments under --s3-prefix: users/<email> or shared-drives/<name>. */
  segments: [string, string];
  /** Why this drive cannot be copied, found while resolving (it is reported failed with the rest). */
  problem?: string;
  /** A user's, with --shared-with-me: what decides which shared items are copied under them (shared-with-me.ts). */
  sharedWithMe?: SharedWithMeScope;
}

/** The label a source has in the report and the logs: `users/ann@x` or `shared-drives/Finance`. */
export function sourceLabel(s: SourceDrive): string {
  return `${s.kind === 'user' ? 'users' : 'shared-drives'}/${s.name}`;
}

/** The key prefix of a source's objects, `<s3-prefix>/users/<email>/`: every key of its files starts with it. */
export function sourceKeyPrefix(prefix: string, s: SourceDrive): string {
  return `${[prefix, ...s.segments].filter((x) => x !== '').join('/')}/`;
}

/** The service account's client acting as `subject` (a ConfigError, exit 2, for anything but a service account). */
export function authAs(settings: Settings, extras: Extras, subject: string, scopes: string[] = [DRIVE_READONLY_SCOPE]): DriveAuth {
  const auth = createDriveAuth({ ...driveAuthOptions(settings, extras), impersonate: subject, scopes, env: process.env });
  if (!(auth instanceof JWT)) throw new ConfigError(`an organisation run needs service-account credentials with domain-wide delegation: --google-credentials ${settings.googleCredentials ?? ''} is not a service account key`);
  return auth;
}

/** A Drive client acting as `subject` (--drive-root-url applies). */
export function driveAs(settings: Settings, extras: Extras, subject: string): DriveClient {
  return createDriveClient({ auth: authAs(settings, extras, subject), ...(settings.driveRootUrl ? { rootUrl: settings.driveRootUrl } : {}) });
}

/**
 * The admin's requests (users.list, drives.list, one permissions.list per shared drive), sent as the listing
 * sends its own (paced at --drive-tps, retried): the admin has a quota too, and a refusal would fail whole drives.
 */
function adminCall(settings: Settings, log: Logger): RequestCall {
  return listerCall({ pacer: createPacer({ tps: settings.driveTps }), log, retry: { maxRetries: settings.driveRetries } });
}

function preflight(what: string, err: unknown): PreflightError {
  return new PreflightError(`${what} failed: ${classifyDriveError(err).message}`);
}

async function resolveUsers(settings: Settings, extras: Extras, call: RequestCall): Promise<string[]> {
  let users = settings.users ?? [];
  if (settings.allUsers) {
    const admin = settings.adminSubject ?? '';
    let directory;
    try {
      directory = await listDirectoryUsers(authAs(settings, extras, admin, [DIRECTORY_USER_READONLY_SCOPE]), settings.adminRootUrl, call);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw preflight(`--all-users: the directory's users.list as --admin-subject ${admin}`, err);
    }
    const only = settings.users === undefined ? null : new Set(settings.users);
    users = directory.filter((u) => !u.suspended && (only === null || only.has(u.email.toLowerCase()))).map((u) => u.email);
  }
  const excluded = new Set(settings.excludeUsers ?? []);
  return users.filter((u) => !excluded.has(u.toLowerCase()));
}

/** The key a drive is sharded by (--shard, --shard-sizes): the user's address, or the shared drive's id (names repeat). */
export function driveShardKey(s: Pick<SourceDrive, 'kind' | 'name' | 'rootId'>): string {
  return s.kind === 'user' ? `users/${s.name.toLowerCase()}` : `shared-drives/${s.rootId}`;
}

async function listDomainSharedDrives(settings: Settings, extras: Extras, call: RequestCall): Promise<{ sources: SourceDrive[]; drive: DriveClient['drive'] | null }> {
  if (!settings.allSharedDrives) return { sources: [], drive: null };
  const admin = settings.adminSubject ?? '';
  const { drive } = driveAs(settings, extras, admin);
  let drives;
  try {
    drives = await listSharedDrives(drive, call);
  } catch (err) {
    throw preflight(`--all-shared-drives: drives.list with useDomainAdminAccess as --admin-subject ${admin}`, err);
  }
  // Drive names are not unique: clashing ones get the id suffix, as files in one folder do (key-mapper.ts).
  // Over every drive of the domain, so a drive's key is the same in every shard.
  const segments = resolveClashes(drives.map((d) => ({ id: d.id, segment: mapNameSegment(d.name) })));
  const sources = drives.map((d, i): SourceDrive => ({ kind: 'shared-drive', name: d.name, rootId: d.id, subject: null, segments: ['shared-drives', segments[i] ?? mapNameSegment(d.name)] }));
  return { sources, drive };
}

/** One organizer per shared drive, asked only for the drives this shard copies. */
async function findOrganizers(drive: DriveClient['drive'], sources: SourceDrive[], call: RequestCall): Promise<void> {
  for (const source of sources) {
    try {
      source.subject = (await findOrganizer(drive, source.rootId, call)) ?? null;
      if (source.subject === null) source.problem = 'no organizer: nobody can read this shared drive as a member';
    } catch (err) {
      source.problem = `permissions.list failed: ${classifyDriveError(err).message}`;
    }
  }
}

/**
 * Every drive this run copies, users first (directory order), then shared drives; with `inShard`, only the
 * drives it keeps (by driveShardKey), so no other shard's drive is looked at past the directory's lists.
 */
export async function resolveOrgSources(settings: Settings, extras: Extras, inShard: (key: string) => boolean = () => true, log: Logger = silentLogger()): Promise<SourceDrive[]> {
  const call = adminCall(settings, log);
  const users = await resolveUsers(settings, extras, call);
  const shared = await listDomainSharedDrives(settings, extras, call);
  // The whole selection, before --shard: each shard decides a shared item's one copy alike.
  const scope: SharedWithMeScope | null = settings.sharedWithMe ? { users: new Set(users.map((u) => u.toLowerCase())), sharedDrives: new Set(shared.sources.map((s) => s.rootId)) } : null;
  const userSources = users.map((email): SourceDrive => ({ kind: 'user', name: email, rootId: 'root', subject: email, segments: ['users', mapNameSegment(email)], ...(scope ? { sharedWithMe: scope } : {}) }));
  // A run that copies nothing because of its own flags is a mistake to say, not a success to report; a shard
  // left without a drive is not (more shards than drives).
  if (userSources.length + shared.sources.length === 0) throw new PreflightError('the organisation flags select no drive: no active user is left after --users/--exclude-users, and no shared drive');
  const sharedHere = shared.sources.filter((s) => inShard(driveShardKey(s)));
  if (shared.drive !== null) await findOrganizers(shared.drive, sharedHere, call);
  return [...userSources.filter((s) => inShard(driveShardKey(s))), ...sharedHere];
}
