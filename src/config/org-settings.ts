// The organisation settings (issue 23), checked once with the rest: which users and shared drives a run
// copies, and what they need (a service account that may act as each user, an admin for the directory).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { METADATA_SERVER_CREDENTIALS } from '../source/drive/auth.js';
import type { Settings } from './settings.js';

/** True when the run copies users' My Drives or shared drives rather than one folder. */
export function isOrgRun(s: Pick<Settings, 'allUsers' | 'users' | 'allSharedDrives'>): boolean {
  return s.allUsers || s.allSharedDrives || (s.users?.length ?? 0) > 0;
}

/** `a@x,@file`: addresses as given, and each @file's lines (blank lines and `#` comments ignored), lower-cased. */
export function expandUserList(flag: string, entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith('@')) {
      out.push(entry);
      continue;
    }
    const file = entry.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`invalid --${flag}: file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    for (const line of text.split(/\r?\n/)) {
      const address = line.replace(/#.*/, '').trim();
      if (address !== '') out.push(address);
    }
  }
  for (const address of out) {
    if (!/^[^@\s]+@[^@\s]+$/.test(address)) throw new ConfigError(`invalid --${flag}: ${JSON.stringify(address)} is not an email address`);
  }
  return [...new Set(out.map((a) => a.toLowerCase()))];
}

/** Refuse an organisation run its settings cannot make, one line naming the flag (exit 2); expands the user lists. */
export function checkOrgSettings(s: Settings): void {
  if (s.users !== undefined) s.users = expandUserList('users', s.users);
  if (s.excludeUsers !== undefined) s.excludeUsers = expandUserList('exclude-users', s.excludeUsers);
  if (s.sharedWithMe && !s.allUsers && s.users === undefined) throw new ConfigError('--shared-with-me (SUPERVISOR_SHARED_WITH_ME) adds what was shared with users: it needs --all-users or --users');
  if (!isOrgRun(s)) {
    if (s.excludeUsers !== undefined) throw new ConfigError('--exclude-users (SUPERVISOR_EXCLUDE_USERS) needs --all-users or --users');
    if (s.shardSizes !== undefined) throw new ConfigError('--shard-sizes (SUPERVISOR_SHARD_SIZES) sizes drives: it needs --all-users, --users or --all-shared-drives');
    if (s.planSizesOut !== undefined) throw new ConfigError('--plan-sizes-out (SUPERVISOR_PLAN_SIZES_OUT) writes the sizes of drives: it needs --all-users, --users or --all-shared-drives');
    return;
  }
  if (s.shardSizes !== undefined && s.shard === undefined) throw new ConfigError('--shard-sizes (SUPERVISOR_SHARD_SIZES) needs --shard: it says which drives go to which shard');
  const flag = s.allUsers ? '--all-users' : s.users !== undefined ? '--users' : '--all-shared-drives';
  if ((s.allUsers || s.allSharedDrives) && s.adminSubject === undefined) {
    const needs = s.allUsers ? '--all-users (SUPERVISOR_ALL_USERS)' : '--all-shared-drives (SUPERVISOR_ALL_SHARED_DRIVES)';
    throw new ConfigError(`${needs} needs --admin-subject: the admin the service account impersonates to read the directory`);
  }
  // Each drive is read as its own user: only a service account with domain-wide delegation can act as each.
  if (s.driveAccessToken !== undefined || s.oauthRefreshToken !== undefined || s.googleCredentials === undefined || s.googleCredentials === METADATA_SERVER_CREDENTIALS) {
    throw new ConfigError(`${flag} needs service-account credentials with domain-wide delegation (--google-credentials key.json), not an access token, OAuth or the metadata server`);
  }
  if (s.impersonate !== undefined) throw new ConfigError(`${flag} reads each drive as its own user: --impersonate does not apply (--admin-subject names the admin)`);
  if (s.sharedDriveId !== undefined) throw new ConfigError(`${flag} copies whole drives: --shared-drive-id does not apply`);
  if (s.driveFolderId !== 'root') throw new ConfigError(`${flag} copies whole drives: --drive-folder-id does not apply`);
}
