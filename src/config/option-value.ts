// One row's value, checked by the row: a raw flag or env value (parseValue), or a typed one given in code
// or received over IPC (checkValue, settingValue). Both refuse with one line naming the flag, its env twin
// and the value, so the supervisor's settings and a child's payload fail the same way.
import { ConfigError } from '../errors.js';
import { SPEC_BY_KEY, flagNamed } from './option-specs.js';
import type { OptionSpec, OptionTable } from './option-specs.js';
import type { Settings } from './settings.js';
import type { DerivedKeyOf } from './settings-of.js';

export type Value = number | string | boolean | string[];

export function refuse(spec: OptionSpec, raw: unknown, why: string): never {
  const shown = spec.secret ? '[REDACTED]' : JSON.stringify(raw);
  throw new ConfigError(`invalid ${flagNamed(spec.flag)}: ${shown} ${why}`);
}

/** The URL without user info, query or fragment: safe to print in an error line. */
export function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

function checkUrl(spec: OptionSpec, value: string, raw: unknown): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(spec, raw, 'is not an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(spec, raw, 'is not an http(s) URL');
  // Credentials in the URL would end up in logs and error messages: the value is not echoed either.
  if (url.username || url.password) refuse(spec, describeUrl(value), 'must not contain credentials; use the credential chain');
  return value;
}

function checkNumber(spec: OptionSpec, n: number, raw: unknown): number {
  if (!Number.isFinite(n)) refuse(spec, raw, 'is not a number');
  if (spec.kind === 'int' && !Number.isInteger(n)) refuse(spec, raw, 'is not a whole number');
  if (spec.min !== undefined && n < spec.min) refuse(spec, raw, `is below the minimum ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) refuse(spec, raw, `is above the maximum ${spec.max}`);
  return n;
}

/** A typed value against its row: the JSON type of its kind, then its bounds, choices or URL form. */
export function checkValue(spec: OptionSpec, value: unknown, raw: unknown = value): Value {
  switch (spec.kind) {
    case 'bool':
      return typeof value === 'boolean' ? value : refuse(spec, raw, 'is not a boolean (true/false)');
    case 'int':
    case 'number':
      return checkNumber(spec, typeof value === 'number' ? value : NaN, raw);
    case 'choice':
      if (typeof value !== 'string' || !spec.choices?.includes(value)) refuse(spec, raw, `is not one of ${spec.choices?.join(', ') ?? ''}`);
      return value;
    case 'list':
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) refuse(spec, raw, 'is not a list of strings');
      if (value.length === 0) refuse(spec, raw, 'is an empty list');
      return value;
    case 'string':
    case 'url':
      if (typeof value !== 'string') refuse(spec, raw, 'is not a string');
      if (value.trim() === '' && spec.default === undefined) refuse(spec, raw, 'is empty');
      return spec.kind === 'url' ? checkUrl(spec, value, raw) : value;
  }
}

function parseBool(spec: OptionSpec, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  return refuse(spec, raw, 'is not a boolean (true/false)');
}

/** A value as typed on the command line or in the environment: coerced from its text, then checked. */
export function parseValue(spec: OptionSpec, raw: unknown): Value {
  if (Array.isArray(raw)) raw = raw.at(-1); // a flag given twice: the last wins
  switch (spec.kind) {
    case 'bool':
      return parseBool(spec, raw);
    case 'int':
    case 'number': {
      const s = String(raw).trim();
      return checkValue(spec, s === '' ? NaN : Number(s), raw);
    }
    case 'list':
      return checkValue(spec, String(raw).split(',').map((x) => x.trim()).filter((x) => x.length > 0), raw);
    default:
      return checkValue(spec, String(raw), raw);
  }
}

/** The row's default, a fresh copy of a list default. */
export function defaultValue(spec: OptionSpec): Value | undefined {
  return typeof spec.default === 'object' ? [...spec.default] : spec.default;
}

function specOf(key: keyof Settings): OptionSpec {
  const spec = SPEC_BY_KEY.get(key);
  if (!spec) throw new Error(`no option row for setting ${key}`);
  return spec;
}

/** A setting's value before resolveSettings fills in the defaults derived from other settings. */
export type Given<K extends keyof Settings> = K extends DerivedKeyOf<OptionTable> ? Settings[K] | undefined : Settings[K];

/**
 * One setting given in code or over IPC: absent (undefined or null), its row's default or a string from
 * the row's ecosystem fallbacks in `env`; present, checked by its row.
 */
export function settingValue<K extends keyof Settings>(key: K, value: unknown, env: NodeJS.ProcessEnv = {}): Given<K> {
  const spec = specOf(key);
  if (value !== undefined && value !== null) return checkValue(spec, value) as Given<K>;
  for (const name of spec.envFallbacks ?? []) {
    const raw = env[name]?.trim();
    if (raw) return parseValue(spec, raw) as Given<K>;
  }
  return defaultValue(spec) as Given<K>;
}

/** A setting given in MiB that crosses IPC in bytes: the row's bounds in bytes; absent, its default. */
export function bytesSettingValue(key: keyof Settings, bytes: unknown): number {
  const spec = specOf(key);
  const MiB = 1024 * 1024;
  if (bytes === undefined || bytes === null) return Number(spec.default) * MiB;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes)) return refuse(spec, bytes, 'is not a whole number of bytes');
  if (spec.min !== undefined && bytes < spec.min * MiB) refuse(spec, bytes, `bytes are below the minimum ${spec.min} MiB`);
  if (spec.max !== undefined && bytes > spec.max * MiB) refuse(spec, bytes, `bytes are above the maximum ${spec.max} MiB`);
  return bytes;
}
