/**
 * Every `/ws` subcommand, in help order. Adding one = one file + one line here.
 */
import { alertsCommand } from './alerts';
import { auditCommand } from './audit';
import { checkCommand } from './check';
import { makeHelpCommand } from './help';
import { historyCommand } from './history';
import { logsCommand } from './logs';
import { maintenanceCommand } from './maintenance';
import { remediateCommand } from './remediate';
import { scheduleCommand } from './schedule';
import { statusCommand } from './status';
import { whyCommand } from './why';
import type { CommandSpec } from './types';

export const commands: readonly CommandSpec[] = [
  statusCommand,
  checkCommand,
  whyCommand,
  logsCommand,
  historyCommand,
  remediateCommand,
  auditCommand,
  scheduleCommand,
  alertsCommand,
  maintenanceCommand,
  makeHelpCommand(() => commands),
];

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
