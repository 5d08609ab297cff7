/**
 * Every `/ws` subcommand, in help order. Adding one = one file + one line here.
 */
import { checkCommand } from './check';
import { makeHelpCommand } from './help';
import { historyCommand } from './history';
import { logsCommand } from './logs';
import { statusCommand } from './status';
import type { CommandSpec } from './types';

let prefix = '/ws';

export const commands: readonly CommandSpec[] = [
  statusCommand,
  checkCommand,
  logsCommand,
  historyCommand,
  makeHelpCommand(() => commands, () => prefix),
];

/** The slash command name shown in help (`/ws` unless configured otherwise; the console uses none). */
export function setHelpPrefix(p: string): void {
  prefix = p;
}

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
