/**
 * One entry point for every adapter: text in, a plan out. Quick answers (help, errors) come back at once;
 * slow ones come with a placeholder to show immediately and a `run()` whose result replaces it in place.
 */
import { inlineCode, literal, retypeMessage } from './text';
import { redactDeep } from '../telemetry/redact';
import type { MessageModel } from './model';
import { helpMessage, typed, usageFor } from './commands/help';
import { commands, findCommand } from './commands/registry';
import type { DoctorApi } from '../core/api';
import type { CommandContext } from './commands/types';
import { closest, parseInvocation, unknownNameError } from './parse';

export type Dispatch =
  | { kind: 'immediate'; message: MessageModel; share: boolean }
  /** `slow` runs checks: show `placeholder` at once, then replace it with `run()`'s result. */
  | {
      kind: 'run';
      command: string;
      env: string;
      slow: boolean;
      /** The command's answer is the same for everyone (CommandSpec.shareable): identical requests may share it. */
      shareable: boolean;
      placeholder: MessageModel;
      share: boolean;
      run(): Promise<MessageModel>;
    };

export interface DispatchOptions {
  doctor: DoctorApi;
  surface: CommandContext['surface'];
  user?: CommandContext['user'];
  channel?: string;
  prefix: string;
}

export function dispatch(text: string, opts: DispatchOptions): Dispatch {
  const parsed = parseInvocation(text);
  const prefix = opts.prefix;
  if (!parsed.ok) return { kind: 'immediate', share: false, message: errorMessage(parsed.error, prefix) };
  const inv = parsed.invocation;
  const env = inv.env ?? opts.doctor.defaultEnv;
  const envProblem = unknownNameError('environment', env, opts.doctor.envNames());
  if (envProblem) return { kind: 'immediate', share: false, message: errorMessage(envProblem, prefix) };
  const spec = findCommand(inv.name);
  if (!spec) {
    const guess = closest(inv.name, commands.map((c) => c.name));
    const lead = `Unknown command ${inlineCode(inv.name)}.${guess ? ` Did you mean \`${typed(prefix, guess)}\`?` : ''}`;
    return { kind: 'immediate', share: false, message: helpMessage(commands, { prefix, surface: opts.surface, lead }) };
  }
  // The same policy that guards remediations decides who may run which command at all.
  const gate = opts.doctor.remediations?.policy.mayRunCommand(spec.name, opts.user ?? { id: 'local:unknown' });
  if (gate && !gate.ok) return { kind: 'immediate', share: false, message: errorMessage(`Not allowed: ${gate.reason}.`, prefix) };
  const problem = spec.validate(inv.args, { doctor: opts.doctor, env });
  if (problem) {
    return { kind: 'immediate', share: false, message: errorMessage(`${problem}\nUsage: \`${typed(prefix, usageFor(spec, opts.surface))}\``, prefix) };
  }
  const ctx: CommandContext = {
    doctor: opts.doctor,
    env,
    surface: opts.surface,
    prefix,
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.channel ? { channel: opts.channel } : {}),
  };
  const run = async (): Promise<MessageModel> => {
    let msg: MessageModel;
    try {
      msg = await spec.run(ctx, inv.args);
    } catch (err) {
      // Core calls are built not to throw; if one does, the person still gets an answer, not silence.
      msg = errorMessage(`\`${spec.name}\` failed: ${literal((err as Error).message)}`, prefix);
    }
    // Everything a command says passes redaction, error text included (it may quote a URL or a header).
    return redactDeep(retypeMessage(msg, prefix));
  };
  return { kind: 'run', command: spec.name, env, slow: spec.slow, shareable: spec.shareable ?? false, share: inv.share, placeholder: checking(spec.name, env), run };
}

function checking(command: string, env: string): MessageModel {
  return {
    text: `Running ${command} on ${env}…`,
    blocks: [{ type: 'context', text: `:hourglass_flowing_sand: Running ${inlineCode(command)} on ${inlineCode(env)}…` }],
  };
}

export function errorMessage(text: string, prefix: string): MessageModel {
  return {
    text: text.split('\n')[0] ?? text,
    blocks: [
      { type: 'text', text: `:warning: ${text}` },
      { type: 'context', text: `\`${typed(prefix, 'help')}\` lists every command.` },
    ],
  };
}
