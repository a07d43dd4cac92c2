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

export function optionTable(): string {
  const rows = ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |'];
  let group = '';
  for (const spec of OPTION_SPECS) {
    if (spec.group !== group) {
      group = spec.group;
      rows.push(`| **${group}** | | | |`);
    }
    const choices = spec.choices ? ` (${spec.choices.map((c) => `\`${c}\``).join(', ')})` : '';
    const fallbacks = spec.envFallbacks ? `, then ${spec.envFallbacks.join(', ')}` : '';
    rows.push(`| \`--${spec.flag}\` | ${envName(spec.flag)}${fallbacks} | ${defaultText(spec)} | ${spec.describe}${choices}${spec.secret ? ' (secret: never logged)' : ''} |`);
  }
  return rows.join('\n');
}

if (process.argv[1]?.endsWith('option-table.js')) process.stdout.write(`${optionTable()}\n`);
