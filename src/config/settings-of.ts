// The types a table of option rows determines: each row's literal type (`as const satisfies`) gives its
// setting's key (the flag in camelCase), value type (its kind, or the union of its choices) and whether it
// can be unset (no default). So Settings is derived from OPTION_SPECS, never written out beside it.
import type { OptionSpec } from './option-specs.js';

/** 's3-kms-key-id' → 's3KmsKeyId', as camel() does at run time. */
export type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** The value one row resolves to. */
export type ValueOfSpec<S> = S extends { kind: 'int' | 'number' }
  ? number
  : S extends { kind: 'bool' }
    ? boolean
    : S extends { kind: 'list' }
      ? string[]
      : S extends { kind: 'choice'; choices: readonly (infer C extends string)[] }
        ? C
        : string;

/** A row with a default, or one computed from another setting, is never unset. */
type AlwaysSet<S> = S extends { default: unknown } ? true : S extends { derivedDefault: true } ? true : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type SettingsOf<T extends readonly OptionSpec[]> = Simplify<
  { [S in T[number] as AlwaysSet<S> extends true ? Camel<S['flag']> : never]: ValueOfSpec<S> } & {
    [S in T[number] as AlwaysSet<S> extends true ? never : Camel<S['flag']>]?: ValueOfSpec<S>;
  }
>;

/** The settings whose default resolveSettings computes from another (rows with derivedDefault). */
export type DerivedKeyOf<T extends readonly OptionSpec[]> = Camel<Extract<T[number], { derivedDefault: true }>['flag']>;

/** A setting not yet given a value: the type its checks see before derived defaults are filled in. */
export type Unresolved<T extends object, K extends keyof T> = Simplify<Omit<T, K> & Partial<Pick<T, K>>>;

/** A value as it may arrive from code or JSON before its row checks it: literal unions widen to string. */
export type Raw<T> = T extends string ? string : T;
