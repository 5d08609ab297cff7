import type { MessageModel } from '../model';
import type { CommandSpec } from './types';

/** Help is generated from the registry, so a new command appears here by being registered. */
export function helpMessage(commands: readonly CommandSpec[], prefix: string, lead?: string): MessageModel {
  const lines = commands.map((c) => `\`${prefix} ${c.usage}\` — ${c.summary}`);
  return {
    text: lead ?? `${prefix} commands`,
    blocks: [
      ...(lead ? [{ type: 'text' as const, text: lead }] : []),
      { type: 'text', text: lines.join('\n') },
      {
        type: 'context',
        text: `Any command takes \`--env <name>\`; add \`share\` to answer in the channel. Examples: ${commands
          .flatMap((c) => c.examples.slice(0, 1))
          .map((e) => `\`${prefix} ${e}\``)
          .join(', ')}`,
      },
    ],
  };
}

export function makeHelpCommand(all: () => readonly CommandSpec[]): CommandSpec {
  return {
    name: 'help',
    usage: 'help',
    summary: 'This list.',
    examples: ['help'],
    slow: false,
    validate: () => undefined,
    run: async (ctx) => helpMessage(all(), ctx.prefix),
  };
}
