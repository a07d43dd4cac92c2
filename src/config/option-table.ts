// The README's configuration table, generated from OPTION_SPECS (`npm run docs:options`), so the
// documentation lists exactly the flags the CLI accepts; a test keeps the README in step.
import { OPTION_SPECS, defaultShown, envName } from './option-specs.js';
import type { OptionSpec } from './option-specs.js';

function defaultText(spec: OptionSpec): string {
  const shown = defaultShown(spec);
  if (spec.defaultLabel) return spec.defaultLabel;
  if (shown === undefined) return '—';
  return shown === '' ? '`""`' : `\`${shown}\``;
}

/** The rule every twin follows, stated once above the table instead of in a column of its own. */
export function envRule(): string {
  return `Every flag has an environment twin: \`${envName('')}\` and the flag in capitals, \`_\` for \`-\` (\`--s3-bucket\` ≡ \`${envName('s3-bucket')}\`).`;
}

export function optionTable(): string {
  const rows = [envRule(), '', '| flag | default | meaning |', '| --- | --- | --- |'];
  let group = '';
  for (const spec of OPTION_SPECS) {
    if (spec.group !== group) {
      group = spec.group;
      rows.push(`| **${group}** | | |`);
    }
    const choices = spec.choices ? ` (${spec.choices.map((c) => `\`${c}\``).join(', ')})` : '';
    const fallbacks = spec.envFallbacks ? ` (env also ${spec.envFallbacks.join(', ')})` : '';
    rows.push(`| \`--${spec.flag}\` | ${defaultText(spec)} | ${spec.describe}${choices}${fallbacks}${spec.secret ? ' (secret: never logged)' : ''} |`);
  }
  return rows.join('\n');
}

if (process.argv[1]?.endsWith('option-table.js')) process.stdout.write(`${optionTable()}\n`);
