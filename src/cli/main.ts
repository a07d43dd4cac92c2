#!/usr/bin/env -S node --max-old-space-size=128 --max-semi-space-size=2
// `npx supervisor`: parse, resolve settings, run a command, and map the result to an exit code.
// Configuration and preflight problems are one line on stderr and exit 2.
import { hideBin } from 'yargs/helpers';
import { ConfigError, JournalBusyError, JournalCorruptError, JournalError, JournalFullError, PreflightError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { resolveSettings } from '../config/settings.js';
import { redactText, registerSecret } from '../observability/redact.js';
import { parseCli } from './cli.js';
import { runCommand } from '../app/commands.js';

// On Node < 22 the AWS SDK prints a multi-line support notice in every process (each child too), which
// tears the live display apart; the run logs it once instead (app/run-command.ts). Children inherit the env.
if (Number(process.versions.node.split('.')[0]) < 22) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<number> {
  // Credentials the SDKs read from the environment never appear in our output either.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'GOOGLE_OAUTH_ACCESS_TOKEN']) registerSecret(process.env[name]);
  const { command, flags } = await parseCli(hideBin(process.argv));
  const settings = resolveSettings(flags, process.env);
  return runCommand(command, settings);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof PreflightError || err instanceof JournalError) {
      process.stderr.write(`supervisor: ${redactText(err.message)}\n`);
      process.exitCode =
        err instanceof JournalBusyError ? ExitCode.Busy
        : err instanceof JournalCorruptError ? ExitCode.JournalCorrupt
        : err instanceof JournalFullError ? ExitCode.JournalFull
        : ExitCode.Config;
      return;
    }
    process.stderr.write(`supervisor: unexpected error: ${redactText(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    process.exitCode = 70;
  },
);
