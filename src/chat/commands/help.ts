import type { MessageModel } from '../model';
import type { CommandContext, CommandSpec } from './types';

type Surface = CommandContext['surface'];

/** How a command is typed on a surface: `/ws status` in Slack, `ws-doctor status` on the CLI, `status` in the console. */
export function typed(prefix: string, rest: string): string {
  return prefix ? `${prefix} ${rest}` : rest;
}

/** A command's usage line as this surface accepts it: Slack-only options (`[share]`) appear only in Slack. */
export function usageFor(spec: Pick<CommandSpec, 'usage' | 'slackOptions'>, surface: Surface): string {
  return surface === 'slack' && spec.slackOptions ? `${spec.usage} ${spec.slackOptions}` : spec.usage;
}

/** A command the surface adds on top of the registry (the console's `quit`, the demo's `fault …`). */
export interface ExtraHelp {
  usage: string;
  summary: string;
}

export interface HelpOptions {
  prefix: string;
  surface: Surface;
  lead?: string;
  /** Listed after the registry's commands under their own heading. */
  extras?: { title: string; commands: readonly ExtraHelp[] };
}

/** Help is generated from the registry, so a new command appears here by being registered. */
export function helpMessage(commands: readonly CommandSpec[], o: HelpOptions): MessageModel {
  const lines = commands.map((c) => `\`${typed(o.prefix, usageFor(c, o.surface))}\` — ${c.summary}`);
  const examples = commands
    .flatMap((c) => c.examples.slice(0, 1))
    .map((e) => `\`${typed(o.prefix, e)}\``)
    .join(', ');
  const options = o.surface === 'slack' ? 'Any command takes `--env <name>`; add `share` to answer in the channel.' : 'Any command takes `--env <name>`.';
  return {
    text: o.lead ?? `${o.prefix || 'ws-doctor'} commands`,
    blocks: [
      ...(o.lead ? [{ type: 'text' as const, text: o.lead }] : []),
      { type: 'text', text: lines.join('\n') },
      ...(o.extras?.commands.length
        ? [{ type: 'text' as const, text: `*${o.extras.title}*\n${o.extras.commands.map((c) => `\`${c.usage}\` — ${c.summary}`).join('\n')}` }]
        : []),
      { type: 'context', text: `${options} Examples: ${examples}` },
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
    run: async (ctx) => helpMessage(all(), { prefix: ctx.prefix, surface: ctx.surface }),
  };
}
