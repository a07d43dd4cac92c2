// Turns flags and their environment twins into typed settings, validated once, up front. A bad value is
// refused with one line naming the flag, its env twin and the value (exit 2); a flag wins over its twin.
import { ConfigError } from '../errors.js';
import { registerSecret } from '../observability/redact.js';
import { defaultChecksumMode } from '../target/s3/s3-options.js';
import { OPTION_SPECS, camel, envName } from './option-specs.js';
import type { OptionSpec, OptionTable } from './option-specs.js';
import { checkRules } from './option-rules.js';
import { checkOrgSettings } from './org-settings.js';
import { defaultValue, parseValue } from './option-value.js';
import type { Value } from './option-value.js';
import type { DerivedKeyOf, SettingsOf, Unresolved } from './settings-of.js';

/** Every setting, typed by its row in OPTION_SPECS. */
export type Settings = SettingsOf<OptionTable>;

/** The value of one row from the command line, its twin or an ecosystem fallback; undefined when unset. */
function resolveOne(spec: OptionSpec, flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Value | undefined {
  let raw: unknown = flags[camel(spec.flag)];
  if (raw === undefined) raw = env[envName(spec.flag)];
  for (const fallback of spec.envFallbacks ?? []) if (raw === undefined || raw === '') raw = env[fallback];
  if (raw === undefined) return defaultValue(spec);
  const value = parseValue(spec, raw);
  if (spec.secret && typeof value === 'string') registerSecret(value);
  return value;
}

/**
 * Resolve every setting. `flags` holds what was given on the command line (camelCase keys, values as
 * typed); `env` is the environment. Unknown SUPERVISOR_* variables are refused: a typo in a ConfigMap
 * must not silently fall back to a default.
 */
export function resolveSettings(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Settings {
  const known = new Set(OPTION_SPECS.map((s) => envName(s.flag)));
  for (const name of Object.keys(env)) {
    if (name.startsWith('SUPERVISOR_') && !known.has(name)) {
      throw new ConfigError(`unknown setting ${name}: no such flag (see --help for the list)`);
    }
  }
  const out: Record<string, Value> = {};
  for (const spec of OPTION_SPECS) {
    const value = resolveOne(spec, flags, env);
    if (value !== undefined) out[camel(spec.flag)] = value;
  }
  // Each key was set from its own row by that row's checks: the one place the table's loop meets its type.
  const given = out as Unresolved<Settings, DerivedKeyOf<OptionTable>>;
  // The defaults that depend on another setting (rows with derivedDefault; defaultLabel names the rule).
  const settings: Settings = { ...given, s3Checksum: given.s3Checksum ?? defaultChecksumMode(given.s3Endpoint) };
  checkRules(settings);
  checkOrgSettings(settings);
  return settings;
}
