// A service account for the fake Drive's organisation: a fresh RSA key pair, its public half for the fake's
// token endpoint, and its key file (as Google issues them, naming its token_uri) for the CLI and the clients.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FakeDrive } from '../../src/fake-drive/index.js';

export interface TestServiceAccount {
  email: string;
  /** What the fake Drive's `org.serviceAccountPublicKey` takes. */
  publicKeyPem: string;
  /** Write its key file, whose token exchange goes to `tokenUri`. */
  writeKeyFile(path: string, tokenUri: string): void;
}

export function testServiceAccount(email: string): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    email,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    writeKeyFile: (path, tokenUri) => {
      writeFileSync(path, JSON.stringify({ type: 'service_account', client_email: email, private_key: privateKeyPem, private_key_id: 'k1', token_uri: tokenUri }));
    },
  };
}

/** A key file of `sa` for `fake` in a temporary directory; the directory and the fake go when the test ends. */
export function keyFileFor(t: TestContext, sa: TestServiceAccount, fake: FakeDrive): string {
  const dir = mkdtempSync(join(tmpdir(), 'test-sa-'));
  t.after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  });
  const keyFile = join(dir, 'sa.json');
  sa.writeKeyFile(keyFile, fake.tokenUrl);
  return keyFile;
}
