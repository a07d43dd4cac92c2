// The command line: yargs defines the commands and flags from OPTION_SPECS; every flag has its
// SUPERVISOR_* twin (resolved in config/settings.ts, where a flag wins over its twin).
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { ConfigError } from '../errors.js';
import { OPTION_SPECS, camel, defaultShown, envName } from '../config/option-specs.js';
import type { OptionSpec } from '../config/option-specs.js';

export type CommandName = 'run' | 'plan' | 'status' | 'verify' | 'retry-failed' | 'demo';

export interface ParsedCli {
  command: CommandName;
  /** What was given on the command line only (camelCase keys). */
  flags: Record<string, unknown>;
}

const COMMANDS: { name: CommandName; usage: string; describe: string }[] = [
  { name: 'run', usage: '$0 [run]', describe: 'Copy the Drive folder or shared drive into S3 (the default command)' },
  { name: 'plan', usage: 'plan', describe: 'List the source without copying: counts, sizes, skips and the memory plan' },
  { name: 'status', usage: 'status', describe: 'Show the journal: counts and bytes by status, last run, failures (works during a run)' },
  { name: 'verify', usage: 'verify', describe: 'Check every done item against S3 (--deep re-reads and re-hashes); exit 1 on any mismatch' },
  { name: 'retry-failed', usage: 'retry-failed', describe: 'Put failed items back to pending and run' },
  { name: 'demo', usage: 'demo', describe: 'Run the real job against an embedded fake Drive and a local S3 (s3rver), then verify' },
];

function describe(spec: OptionSpec): string {
  const def = defaultShown(spec);
  const choices = spec.choices ? ` [${spec.choices.join('|')}]` : '';
  return `${spec.describe}${choices} (env ${envName(spec.flag)}${def !== undefined && def !== '' ? `; default ${def}` : ''})`;
}

function withOptions(y: Argv): Argv {
  let out = y;
  for (const spec of OPTION_SPECS) {
    out = out.option(spec.flag, {
      // Everything but booleans arrives as a string so the settings layer sees the raw value it reports.
      type: spec.kind === 'bool' ? 'boolean' : 'string',
      describe: describe(spec),
      group: `${spec.group}:`,
    });
  }
  return out;
}

/** The command list of the usage text, one aligned line per command. */
function commandList(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return COMMANDS.map((c) => `supervisor ${c.name.padEnd(width)}  ${c.describe}`).join('\n');
}

export async function parseCli(argv: string[]): Promise<ParsedCli> {
  const y = yargs(argv)
    .scriptName('supervisor')
    .usage(`$0 [command] [options]\n\nCopies Google Drive into S3 with memory-capped child processes.\n\nCommands:\n${commandList()}`)
    .strict()
    .parserConfiguration({ 'camel-case-expansion': true, 'boolean-negation': true, 'duplicate-arguments-array': true })
    .help()
    .version()
    .wrap(Math.min(120, process.stdout.columns || 120))
    .fail((msg: string | undefined, err: Error | undefined) => {
      throw new ConfigError(msg ?? err?.message ?? 'invalid command line');
    })
    // One default command whose first positional names the command, not one yargs command each: before the
    // handler of a named command yargs renders the whole help text, in case the handler shows it — a cost on
    // every `supervisor run` for a text never shown (docs/design.md#the-measurements-behind-the-flags).
    .command('$0 [command]', false, (b) =>
      b.positional('command', { type: 'string', choices: COMMANDS.map((c) => c.name), default: 'run', describe: 'What to do (see Commands)' }),
    );
  const parsed = (await withOptions(y).parseAsync()) as Record<string, unknown>;
  const flags: Record<string, unknown> = {};
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.replace(/^--(no-)?/, '').split('=')[0]));
  for (const spec of OPTION_SPECS) {
    // Only flags actually typed count: yargs fills booleans with false, which must not beat the env twin.
    if (!given.has(spec.flag)) continue;
    const key = camel(spec.flag);
    flags[key] = parsed[key];
  }
  return { command: parsed['command'] as CommandName, flags };
}
