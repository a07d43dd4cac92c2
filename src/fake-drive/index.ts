// The fake Google Drive: used by tests and embedded in `supervisor demo`.
export { startFakeDrive } from './server.js';
export type { FakeDrive, FakeDriveOptions, FakeDriveStats, FakeFilePatch, FakeOAuthClient } from './server.js';
export type { Fault, FaultRoute, FaultRule } from './faults.js';
export { FOLDER_MIME, SHORTCUT_MIME, MY_DRIVE_ROOT_ID, WORKSPACE_EXPORTS, generateTree } from './tree.js';
export type { FakeNodeSpec, FakePermission, FakeSharedDrive, GeneratedTreeOptions } from './tree.js';
export type { FakeOrgOptions, FakeUser } from './org.js';
export { makeDemoTree, DEMO_ROOT_FOLDER_ID } from './demo-tree.js';
export type { DemoTree, DemoTreeOptions } from './demo-tree.js';
export { contentRange, contentMd5 } from './content.js';
export { Wan } from './wan.js';
export type { WanOptions, WanStats } from './wan.js';
export { UserQuota } from './quota.js';
export type { QuotaOptions, QuotaStats } from './quota.js';
