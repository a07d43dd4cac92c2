// Command dispatch. Each command lives in its own module, loaded only when used (start-up memory).
import type { CommandName } from '../cli/cli.js';
import type { Settings } from '../config/settings.js';

export async function runCommand(command: CommandName, settings: Settings): Promise<number> {
  switch (command) {
    case 'run':
      if (settings.dryRun) return (await import('./plan-command.js')).planCommand(settings);
      return (await import('./run-command.js')).runMigration(settings);
    case 'plan':
      return (await import('./plan-command.js')).planCommand(settings);
    case 'status':
      return (await import('./status-command.js')).statusCommand(settings);
    case 'verify':
      return (await import('./verify-command.js')).verifyCommand(settings);
    case 'retry-failed':
      return (await import('./run-command.js')).runMigration(settings, { retryFailed: true });
    case 'demo':
      return (await import('./demo-command.js')).demoCommand(settings);
  }
}
