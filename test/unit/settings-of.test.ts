// The Settings type is what the option rows say: a row with a default (or a derived one) is always set, one
// without may be unset, a choice row is the union of its choices. The @ts-expect-error lines fail the
// build (tsc) if the derivation ever widens; the run-time half checks the keys are the flags in camelCase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPTION_SPECS, camel } from '../../src/config/option-specs.js';
import { resolveSettings } from '../../src/config/settings.js';
import type { Settings } from '../../src/config/settings.js';
import type { Camel } from '../../src/config/settings-of.js';
import type { Given } from '../../src/config/option-value.js';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;

/** Checked by tsc: each element fails the build unless the derived type is exactly the one stated. */
export type SettingsTypeChecks = [
  Holds<Equal<Camel<'s3-kms-key-id'>, 's3KmsKeyId'>>,
  Holds<Equal<Settings['shortcuts'], 'skip' | 'follow'>>,
  Holds<Equal<Settings['s3Sse'], 'AES256' | 'aws:kms' | undefined>>,
  Holds<Equal<Settings['s3Checksum'], 'when-supported' | 'when-required'>>,
  Holds<Equal<Settings['partSizeMb'], number>>,
  // A derived default is unset until resolveSettings computes it: a setting given alone may lack it.
  Holds<Equal<Given<'s3Checksum'>, 'when-supported' | 'when-required' | undefined>>,
  Holds<Equal<Given<'partSizeMb'>, number>>,
  Holds<Equal<Settings['workers'], number | undefined>>,
  Holds<Equal<Settings['exportFormats'], string[]>>,
  Holds<Equal<Settings['acknowledgeAbuse'], boolean>>,
  Holds<Equal<Settings['s3Endpoint'], string | undefined>>,
  // @ts-expect-error a choice row is not any string
  Holds<Equal<Settings['logLevel'], string>>,
];

test('Settings: every key is a row\'s flag in camelCase, and every row with a default is set', () => {
  const s = resolveSettings({}, {});
  // Every key the type has is a row's flag in camelCase, and every defaulted row is set at run time.
  const keys = new Set(OPTION_SPECS.map((spec) => camel(spec.flag)));
  for (const key of Object.keys(s)) assert.ok(keys.has(key), key);
  for (const spec of OPTION_SPECS) if (spec.default !== undefined || spec.derivedDefault) assert.notEqual(s[camel(spec.flag) as keyof Settings], undefined, spec.flag);
});
