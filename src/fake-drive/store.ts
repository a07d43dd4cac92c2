// The fake Drive's nodes: the tree by id and by parent, who sees what, and every mutation (each one a change).
import type { FakeFilePatch } from './api.js';
import type { ChangeLog } from './changes.js';
import { contentHashes, hashesOf, seedFromString } from './content.js';
import type { ContentHashes } from './content.js';
import type { FakeNodeSpec, FakeSharedDrive } from './tree.js';

export interface Node {
  spec: FakeNodeSpec;
  seed: number;
  literal: Buffer | null;
  size: number;
  hashes: Promise<ContentHashes> | null;
}

function toNode(spec: FakeNodeSpec): Node {
  const literal = spec.content === undefined ? null : Buffer.from(spec.content);
  return { spec, seed: spec.seed ?? seedFromString(spec.id), literal, size: literal?.length ?? spec.size ?? 0, hashes: null };
}

function isWorkspace(mimeType: string): boolean {
  return mimeType.startsWith('application/vnd.google-apps.');
}

export function hasBinaryContent(mimeType: string): boolean {
  return !isWorkspace(mimeType);
}

export const exportSeed = (id: string, mimeType: string): number => seedFromString(`${id}\u0000${mimeType}`);

export class NodeStore {
  readonly nodes = new Map<string, Node>();
  readonly children = new Map<string, string[]>();
  readonly sharedDrives: Map<string, FakeSharedDrive>;
  // Set once the initial tree is in: from then on every mutation is a change (changes.ts).
  changeLog: ChangeLog | null = null;

  constructor(sharedDrives: readonly FakeSharedDrive[]) {
    this.sharedDrives = new Map<string, FakeSharedDrive>(sharedDrives.map((d) => [d.id, d]));
  }

  /** Record a change of `id` (present); `before`: the My Drive users who saw it before (they see it leave). */
  private recordChange(id: string, before: readonly string[] | undefined): void {
    const node = this.need(id);
    const after = this.ownersOf(node);
    // undefined owners: nobody's in particular (the single-user fake, a shared drive), in every feed.
    const viewers = before === undefined || after === undefined ? undefined : [...before, ...after];
    this.changeLog?.record(id, this.driveIdOf(node), viewers);
  }

  private linkChildren(id: string, parents: readonly string[]): void {
    for (const parent of parents) {
      const list = this.children.get(parent) ?? [];
      list.push(id);
      this.children.set(parent, list);
    }
  }

  private unlinkChildren(id: string, parents: readonly string[]): void {
    for (const parent of parents) {
      const list = this.children.get(parent);
      if (list) this.children.set(parent, list.filter((c) => c !== id));
    }
  }

  addNodes(specs: FakeNodeSpec[]): void {
    for (const spec of specs) {
      if (this.nodes.has(spec.id)) throw new Error(`fake drive: duplicate node id ${spec.id}`);
      this.nodes.set(spec.id, toNode(spec));
      this.linkChildren(spec.id, spec.parents);
      const node = this.need(spec.id);
      this.recordChange(spec.id, this.ownersOf(node));
    }
  }

  need(id: string): Node {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`fake drive: no node ${id}`);
    return node;
  }

  /** The shared drive a node lives in, by walking up its parents. */
  driveIdOf(node: Node): string | undefined {
    let current: Node | undefined = node;
    for (let depth = 0; current && depth < 1000; depth++) {
      const parent: string | undefined = current.spec.parents[0];
      if (parent === undefined) return undefined;
      if (this.sharedDrives.has(parent)) return parent;
      current = this.nodes.get(parent);
    }
    return undefined;
  }

  hashesOfNode(node: Node): Promise<ContentHashes> {
    node.hashes ??= node.literal ? Promise.resolve(hashesOf(node.literal)) : contentHashes(node.seed, node.size);
    return node.hashes;
  }

  /** A My Drive node's owners: its own, else its nearest ancestor's; undefined = everyone's (single-user fakes). */
  ownersOf(node: Node): string[] | undefined {
    let current: Node | undefined = node;
    for (let depth = 0; current && depth < 1000; depth++) {
      if (current.spec.owners !== undefined) return current.spec.owners;
      const parent: string | undefined = current.spec.parents[0];
      current = parent === undefined ? undefined : this.nodes.get(parent);
    }
    return undefined;
  }

  /** The subject's roles on a node, its own permissions and those it inherits from its folders (user permissions only). */
  rolesOf(node: Node, subject: string): string[] {
    const who = subject.toLowerCase();
    const roles: string[] = [];
    let current: Node | undefined = node;
    for (let depth = 0; current && depth < 1000; depth++) {
      for (const p of current.spec.permissions ?? []) if (p.type === 'user' && p.emailAddress?.toLowerCase() === who) roles.push(p.role);
      const parent: string | undefined = current.spec.parents[0];
      current = parent === undefined ? undefined : this.nodes.get(parent);
    }
    return roles;
  }

  /** Drive's `sharedWithMe`: a user permission on the node itself (not inherited) for someone who does not own it. */
  sharedWith(node: Node, subject: string | undefined): boolean {
    if (subject === undefined) return false;
    const who = subject.toLowerCase();
    if (this.ownersOf(node)?.some((o) => o.toLowerCase() === who) === true) return false;
    return (node.spec.permissions ?? []).some((p) => p.type === 'user' && p.emailAddress?.toLowerCase() === who);
  }

  /** What Drive serves `permissions` to: who may share it (owners, writers); undefined subject = single-user fakes. */
  canShare(node: Node, subject: string | undefined): boolean {
    if (subject === undefined || this.driveIdOf(node) !== undefined) return true;
    if (this.ownersOf(node)?.includes(subject) !== false) return true;
    return this.rolesOf(node, subject).some((r) => r === 'owner' || r === 'writer');
  }

  isMember(driveId: string, subject: string | undefined): boolean {
    const members = this.sharedDrives.get(driveId)?.members;
    return members === undefined || subject === undefined || members.some((m) => m.emailAddress === subject);
  }

  // Without an organisation (subject undefined) everything is one user's; with one, a user sees what they
  // own, what is shared with them (a user permission on it or on a folder above it) and the shared drives
  // they are a member of.
  visible(node: Node, allDrives: boolean, subject?: string): boolean {
    const driveId = this.driveIdOf(node);
    if (driveId !== undefined) return allDrives && (this.isMember(driveId, subject) || (subject !== undefined && this.rolesOf(node, subject).length > 0));
    if (subject === undefined) return true;
    const owners = this.ownersOf(node);
    return owners === undefined || owners.includes(subject) || this.rolesOf(node, subject).length > 0;
  }

  updateFile(id: string, patch: FakeFilePatch): void {
    const old = this.need(id);
    const before = this.ownersOf(old);
    const previous = Date.parse(old.spec.modifiedTime ?? '2024-01-01T00:00:00.000Z');
    const spec: FakeNodeSpec = {
      ...old.spec,
      ...patch,
      modifiedTime: patch.modifiedTime ?? new Date(previous + 1000).toISOString(),
    };
    if (patch.size !== undefined && patch.content === undefined) delete spec.content;
    this.nodes.set(id, toNode(spec));
    this.recordChange(id, before);
  }

  removeNode(id: string): void {
    const node = this.need(id);
    const driveId = this.driveIdOf(node);
    const before = this.ownersOf(node);
    this.nodes.delete(id);
    this.unlinkChildren(id, node.spec.parents);
    this.changeLog?.record(id, driveId, before);
  }

  moveNode(id: string, parents: string[]): void {
    const node = this.need(id);
    const before = this.ownersOf(node);
    this.unlinkChildren(id, node.spec.parents);
    node.spec = { ...node.spec, parents };
    this.linkChildren(id, parents);
    this.recordChange(id, before);
  }
}
