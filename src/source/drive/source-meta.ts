// A listed file's manifest metadata (owners, permissions, description…) from Drive's file resource.
import type { drive_v3 } from '@googleapis/drive';
import type { SourceMeta } from './drive-item.js';

/** The fields the manifest needs, asked for in the same files.list and changes.list calls as the rest. */
export const SOURCE_META_FIELDS = 'createdTime, description, starred, owners(emailAddress, displayName), permissions(role, type, emailAddress, domain)';

export function sourceMeta(f: drive_v3.Schema$File): SourceMeta {
  return {
    createdTime: f.createdTime ?? null,
    description: f.description ?? null,
    starred: f.starred === true,
    owners: (f.owners ?? []).map((o) => ({ email: o.emailAddress ?? null, name: o.displayName ?? null })),
    permissions: (f.permissions ?? []).map((p) => ({
      role: p.role ?? '',
      type: p.type ?? '',
      ...(p.emailAddress ? { email: p.emailAddress } : {}),
      ...(p.domain ? { domain: p.domain } : {}),
    })),
  };
}
