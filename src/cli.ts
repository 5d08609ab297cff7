#!/usr/bin/env node
/**
 * ws-doctor's command line. `status` is made for cron and CI: exit 0 ok, 1 degraded (or unknown), 2 down,
 * 3 bad usage or configuration. With no subcommand it starts the bot (Slack when credentials are set, else
 * the interactive console).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from './config/load';
import { explainConfig } from './config/explain';
import { configReference } from './config/reference';
import type { Config } from './config/schema';
import { dispatch } from './chat/dispatch';
import { quoteArg } from './chat/parse';
import { renderText } from './console/render';
import { Doctor } from './doctor';
import type { Overall } from './diagnosis/types';
import { startBot } from './main';
import { launchDemo } from './demo/launch';

export const EXIT: Record<Overall | 'usage', number> = { ok: 0, degraded: 1, unknown: 1, down: 2, usage: 3 };

interface GlobalOpts {
  config?: string;
  env?: string;
  metricsPort?: number;
}

function portArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number 0–65535 (0 = any free port)');
  return Number(value);
}

function load(opts: GlobalOpts): Config {
  return loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
}

function envOf(config: Config, opts: GlobalOpts): string {
  const env = opts.env ?? config.defaultEnv;
  if (!(env in config.environments)) {
    throw new ConfigError('--env', [`--env: no environment named "${env}"; expected one of: ${Object.keys(config.environments).join(', ')}`]);
  }
  return env;
}

/** Runs a chat command once and prints it as console text: the CLI and Slack answer from the same models. */
async function once(text: string, opts: GlobalOpts): Promise<number> {
  const config = load(opts);
  const env = envOf(config, opts);
  const doctor = Doctor.create(config);
  try {
    const plan = dispatch(`${text} --env ${env}`, { doctor, surface: 'cli', prefix: 'ws-doctor' });
    const msg = plan.kind === 'immediate' ? plan.message : await plan.run();
    process.stdout.write(renderText(msg, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }) + '\n');
    return plan.kind === 'immediate' ? EXIT.usage : 0;
  } finally {
    await doctor.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('ws-doctor')
    .description('Diagnoses and repairs the AllThrive WebSocket stack, from Slack or the terminal.')
    .option('-c, --config <file>', 'YAML config file (default: $WS_DOCTOR_CONFIG, else built-in local-compose defaults)')
    .option('-e, --env <name>', 'environment from the config (default: defaultEnv)')
    .option('--metrics-port <port>', 'serve /metrics, /healthz and /readyz on this port (console: off unless set; Slack: default 9464)', portArg)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('status')
    .description('run every check once and print the verdict; exit 0 ok, 1 degraded, 2 down')
    .option('--json', 'print the full report as JSON')
    .action(async (cmdOpts: { json?: boolean }) => {
      const opts = program.opts<GlobalOpts>();
      const config = load(opts);
      const env = envOf(config, opts);
      const doctor = Doctor.create(config);
      try {
        const report = await doctor.status(env);
        if (cmdOpts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else {
          const { statusMessage } = await import('./chat/status-message');
          process.stdout.write(renderText(statusMessage(report), { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }) + '\n');
        }
        process.exitCode = EXIT[report.verdict.overall];
      } finally {
        await doctor.close();
      }
    });

  program
    .command('check <name>')
    .description('run one check (and what it needs) and show its evidence')
    .action(async (name: string) => {
      process.exitCode = await once(`check ${name}`, program.opts());
    });

  program
    .command('logs [service]')
    .description('recent container logs of a compose service, secrets redacted')
    .option('--since <duration>', 'time window, e.g. 30s, 10m, 2h', '10m')
    .option('--grep <pattern>', 'only lines matching this regular expression')
    .option('--tail <n>', 'at most this many lines', '50')
    .action(async (service: string | undefined, o: { since: string; grep?: string; tail: string }) => {
      const parts = ['logs', ...(service ? [service] : []), '--since', o.since, '--tail', o.tail, ...(o.grep !== undefined ? ['--grep', o.grep] : [])];
      process.exitCode = await once(parts.map(quoteArg).join(' '), program.opts());
    });

  program
    .command('history [check]')
    .description('last results per check, from the state directory')
    .action(async (check?: string) => {
      process.exitCode = await once(`history${check ? ` ${check}` : ''}`, program.opts());
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('explain')
    .description('print the effective configuration, secrets masked')
    .action(() => {
      const opts = program.opts<GlobalOpts>();
      const cfg = load(opts);
      const source = opts.config ?? process.env.WS_DOCTOR_CONFIG ?? 'built-in defaults';
      process.stdout.write(explainConfig(cfg, { source, ...(opts.env ? { env: envOf(cfg, opts) } : {}) }) + '\n');
    });
  config
    .command('reference')
    .description('print every configuration key with its default (Markdown)')
    .action(() => {
      process.stdout.write(configReference() + '\n');
    });

  program
    .command('start', { isDefault: true })
    .description('start the bot: Slack when credentials are configured, else the interactive console')
    .action(async () => {
      const opts = program.opts<GlobalOpts>();
      await startBot(load(opts), { interactive: true, ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}) });
    });

  program
    .command('demo')
    .description('start the bundled demo stack (own redis-server + AllThrive-compatible backend) and the bot against it')
    .addOption(new Option('--once', 'run one status against the demo stack, print it and exit'))
    .addOption(new Option('--fault <name...>', 'switch these faults on before starting'))
    .action(async (o: { once?: boolean; fault?: string[] }) => {
      process.exitCode = await launchDemo({ once: Boolean(o.once), faults: o.fault ?? [], config: program.opts<GlobalOpts>().config });
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = EXIT.usage;
    } else if (err && typeof err === 'object' && 'exitCode' in err && 'code' in err) {
      // commander already printed its message (unknown command, missing argument, --help).
      const code = (err as { exitCode: number; code: string }).code;
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : EXIT.usage;
    } else {
      process.stderr.write(`ws-doctor: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.usage;
    }
  }
}

if (require.main === module) void main(process.argv);
