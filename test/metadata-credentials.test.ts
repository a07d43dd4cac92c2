// `--google-credentials metadata-server` (GKE Workload Identity, GCE): Drive tokens come from the metadata
// server, asked for the Drive scope with the Metadata-Flavor header, in the supervisor and in every child.
// A fake metadata server stands in for GKE's (gcp-metadata honours GCE_METADATA_HOST); the run is the real
// CLI against the fake Drive API and s3rver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode } from '../src/exit-codes.js';
import { DRIVE_READONLY_SCOPE, METADATA_SERVER_CREDENTIALS, createDriveAuth } from '../src/source/drive/auth.js';
import { TOKEN, folderOfFiles, listKeys, runCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

interface MetadataRequest {
  path: string;
  scopes: string | null;
  flavor: string | undefined;
}

let w: World;
let metadata: Server;
let metadataHost = '';
const seen: MetadataRequest[] = [];

before(async () => {
  w = await startWorld({
    nodes: folderOfFiles('M', 'meta', 4, 2000),
  });
  metadata = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const flavor = req.headers['metadata-flavor'] as string | undefined;
    seen.push({ path: url.pathname, scopes: url.searchParams.get('scopes'), flavor });
    // As Google's: without the header, or for anything but a token, no token.
    if (flavor !== 'Google' || url.pathname !== TOKEN_PATH) {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'metadata-flavor': 'Google' });
    res.end(JSON.stringify({ access_token: TOKEN, expires_in: 3599, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  metadataHost = `127.0.0.1:${(metadata.address() as AddressInfo).port}`;
});

after(async () => {
  await w.close();
  await new Promise((resolve) => metadata.close(resolve));
});

/** The world's flags without its access token, with the metadata server as the Drive credential. */
function metadataFlags(extra: string[] = []): string[] {
  const flags = worldFlags(w, 'M', extra);
  const i = flags.indexOf('--drive-access-token');
  flags.splice(i, 2);
  return [...flags, '--google-credentials', METADATA_SERVER_CREDENTIALS];
}

test('metadata-server credentials: a token asked for the Drive scope, with the Metadata-Flavor header', async () => {
  const saved = process.env.GCE_METADATA_HOST;
  process.env.GCE_METADATA_HOST = metadataHost;
  try {
    seen.length = 0;
    const auth = createDriveAuth({ credentialsFile: METADATA_SERVER_CREDENTIALS, env: {} });
    assert.equal((await auth.getAccessToken()).token, TOKEN);
    const asked = seen.filter((r) => r.path === TOKEN_PATH);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.flavor, 'Google');
    assert.ok(asked[0]?.scopes?.split(',').includes(DRIVE_READONLY_SCOPE), `scopes ${asked[0]?.scopes ?? 'none'}`);
    assert.throws(() => createDriveAuth({ credentialsFile: METADATA_SERVER_CREDENTIALS, impersonate: 'someone@example.com', env: {} }), /--impersonate needs a service account credentials file/);
  } finally {
    if (saved === undefined) delete process.env.GCE_METADATA_HOST;
    else process.env.GCE_METADATA_HOST = saved;
  }
});

test('metadata-server credentials: the CLI copies everything with tokens from the metadata server only', async () => {
  seen.length = 0;
  const r = await runCli(['run', ...metadataFlags()], { GCE_METADATA_HOST: metadataHost }, w.s3);
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  assert.deepEqual(await listKeys(w), ['file-0.bin', 'file-1.bin', 'file-2.bin', 'file-3.bin']);
  // The supervisor (listing) and the child (downloads) each asked for their own token.
  assert.ok(seen.filter((q) => q.path === TOKEN_PATH && q.flavor === 'Google').length >= 2, JSON.stringify(seen));
  assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN), 'the token is never printed');
});

test('metadata-server credentials: no metadata server is one line naming the credentials, exit 2', async () => {
  const r = await runCli(['run', ...metadataFlags(['--state', `${w.dir}/none/journal.db`])], { GCE_METADATA_HOST: '127.0.0.1:9' }, w.s3);
  assert.equal(r.code, ExitCode.Config, r.stderr);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('supervisor:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0] ?? '', /^supervisor: Drive credentials \(--google-credentials, .*\): could not get an access token \(.*computeMetadata/);
});
