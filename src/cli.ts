#!/usr/bin/env node
/**
 * ws-doctor's command line. `status` is made for cron and CI: exit 0 ok, 1 degraded (or unknown), 2 down,
 * 3 bad usage or configuration. With no subcommand it starts the bot (Slack when credentials are set, else
 * the interactive console).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from './config/schema';
import type { Doctor } from './core/doctor';
import { EXIT } from './diagnosis/exit-codes';
import { closest } from './util/closest';
import { exitFlushed } from './util/exit-flushed';
import { answerFromRunningBot } from './cli-socket/ask';

/** Everything else is required on first use, by the command that needs it (cli-lazy.ts says why). */
const lazy = (): typeof import('./cli-lazy') => require('./cli-lazy') as typeof import('./cli-lazy');

export { EXIT };

/**
 * Set by one-shot commands (everything but `start` and an interactive `demo`): once their answer is printed,
 * `main()` ends the process with the exit code instead of waiting for every socket and timer to wind down —
 * a hung peer (a Redis that accepts and never answers) must not keep cron or CI waiting.
 */
let oneShot = false;

/** Closes the Doctor's clients, but never waits longer than `ms`: the answer is out, a peer may be hung. */
async function closeQuickly(doctor: Doctor, ms = 500): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([doctor.close().catch(() => undefined), bound]);
  clearTimeout(timer);
}

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
  return lazy().config().loadConfig({ ...(opts.config ? { path: opts.config } : {}) });
}

function envOf(config: Config, opts: GlobalOpts): string {
  const env = opts.env ?? config.defaultEnv;
  if (!(env in config.environments)) {
    throw new (lazy().config().ConfigError)('--env', [`--env: no environment named "${env}"; expected one of: ${Object.keys(config.environments).join(', ')}`]);
  }
  return env;
}

/**
 * Runs a chat command once and prints it as console text: the CLI and Slack answer from the same models.
 * `verdictExit`: the answer carries a verdict (`check`), so it exits like `status` does (0 ok, 1 degraded or
 * unknown, 2 down) — a cron job or CI step running one check must see its failure in the exit code.
 */
async function once(text: string, opts: GlobalOpts, verdictExit = false): Promise<number> {
  oneShot = true;
  const config = load(opts);
  const env = envOf(config, opts);
  const doctor = lazy().doctor().Doctor.create(config);
  try {
    const plan = lazy().dispatch().dispatch(`${text} --env ${env}`, { doctor, surface: 'cli', prefix: 'ws-doctor', user: lazy().user().localUser() });
    const msg = plan.kind === 'immediate' ? plan.message : await plan.run();
    process.stdout.write(lazy().render().renderForStream(msg, process.stdout, 'ws-doctor') + '\n');
    if (plan.kind === 'immediate') return EXIT.usage;
    if (!verdictExit) return 0;
    const verdict = msg.blocks.find((b) => b.type === 'verdict');
    // No verdict block = the command itself failed (its error answer): that is not a healthy finding.
    return verdict ? EXIT[verdict.overall] : EXIT.unknown;
  } finally {
    await closeQuickly(doctor);
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
    // Read before commander (cli-socket/argv.ts: a line with it is never sent to a bot); declared so it parses.
    .option('--standalone', 'run the checks in this process even when a running bot with the same config could answer')
    .action(async (cmdOpts: { json?: boolean }) => {
      oneShot = true;
      const opts = program.opts<GlobalOpts>();
      const config = load(opts);
      const env = envOf(config, opts);
      const doctor = lazy().doctor().Doctor.create(config);
      try {
        const report = await doctor.status(env);
        if (cmdOpts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else {
          const { statusMessage } = lazy().statusMessage();
          process.stdout.write(lazy().render().renderForStream(statusMessage(report), process.stdout, 'ws-doctor') + '\n');
        }
        process.exitCode = EXIT[report.verdict.overall];
      } finally {
        await closeQuickly(doctor);
      }
    });

  program
    .command('check <name>')
    .description('run one check (and what it needs) and show its evidence; exit 0 ok, 1 degraded, 2 down')
    .action(async (name: string) => {
      process.exitCode = await once(`check ${lazy().parse().quoteArg(name)}`, program.opts(), true);
    });

  program
    .command('why <symptom...>')
    .description('triage one symptom (offline, no-messages, timeout, auth, duplicates, port-3000): only the checks that split its causes; exit as status')
    .action(async (words: string[]) => {
      process.exitCode = await once(`why ${words.map(lazy().parse().quoteArg).join(' ')}`, program.opts(), true);
    });

  program
    .command('logs [service]')
    .description('recent container logs of a compose service, secrets redacted')
    .option('--since <duration>', 'time window, e.g. 30s, 10m, 2h', '10m')
    .option('--grep <pattern>', 'only lines matching this regular expression')
    .option('--tail <n>', 'at most this many lines', '50')
    .action(async (service: string | undefined, o: { since: string; grep?: string; tail: string }) => {
      const parts = ['logs', ...(service ? [service] : []), '--since', o.since, '--tail', o.tail, ...(o.grep !== undefined ? ['--grep', o.grep] : [])];
      process.exitCode = await once(parts.map(lazy().parse().quoteArg).join(' '), program.opts());
    });

  program
    .command('history [check]')
    .description('last results per check, from the state directory')
    .action(async (check?: string) => {
      process.exitCode = await once(`history${check ? ` ${check}` : ''}`, program.opts());
    });

  program
    .command('remediate [args...]')
    .description('preview a fix and request it (a second person approves); approve/deny/show/pending; --dry-run previews only')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      process.exitCode = await once(['remediate', ...args].map(lazy().parse().quoteArg).join(' '), program.opts());
    });

  const audit = program.command('audit').description('the remediation audit log (append-only, hash-chained)');
  audit
    .command('show [n]', { isDefault: true })
    .description('the last n records (default 20)')
    .action(async (n?: string) => {
      process.exitCode = await once(`audit${n ? ` ${n}` : ''}`, program.opts());
    });
  audit
    .command('verify')
    .description('walk the whole chain; exit 0 when every record verifies, 1 naming the first that does not')
    .action(async () => {
      oneShot = true;
      const doctor = lazy().doctor().Doctor.create(load(program.opts()));
      try {
        const v = await doctor.remediations.audit.verify();
        process.stdout.write(
          v.ok
            ? `audit chain ok: ${v.records} records, head ${v.headHash}\n`
            : `audit chain BROKEN at record ${v.broken?.seq}: ${v.broken?.reason} (${v.records} records verified before it)\n`,
        );
        process.exitCode = v.ok ? 0 : 1;
      } finally {
        await closeQuickly(doctor);
      }
    });
  audit
    .command('export')
    .description('every record as JSON lines on stdout, oldest first (seq, at, step, who, what, hashes)')
    .action(async () => {
      oneShot = true;
      const doctor = lazy().doctor().Doctor.create(load(program.opts()));
      try {
        for await (const r of doctor.remediations.audit.all()) process.stdout.write(`${JSON.stringify(r)}\n`);
      } finally {
        await closeQuickly(doctor);
      }
    });

  const rules = program.command('rules').description('alert rule files');
  rules
    .command('check <file...>')
    .description('validate rule files (PromQL through Prometheus\' own parser when reachable); exit 1 on any problem')
    .option('--prometheus <url>', 'Prometheus to parse PromQL with (default: the environment\'s prometheus.url)')
    .action(async (files: string[], o: { prometheus?: string }) => {
      const { checkRuleFiles } = lazy().ruleFiles();
      const { allChecks } = lazy().checks();
      const { CAUSES } = lazy().causes();
      const opts = program.opts<GlobalOpts>();
      const cfg = load(opts);
      const envCfg = cfg.environments[envOf(cfg, opts)];
      const prometheusUrl = o.prometheus ?? (envCfg?.prometheus.enabled ? envCfg.prometheus.url : undefined);
      const report = await checkRuleFiles(files, {
        checkNames: allChecks.map((c) => c.name),
        knownRemediations: [...new Set(CAUSES.flatMap((c) => c.remediations))],
        ...(prometheusUrl ? { prometheusUrl } : {}),
      });
      for (const p of report.problems) process.stderr.write(`error: ${p}\n`);
      for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
      const verified = report.promqlVerified ? 'PromQL parsed by Prometheus' : 'PromQL not verified';
      process.stdout.write(
        `${report.ok ? 'ok' : 'FAILED'}: ${report.rules} rule(s) (${report.promRules} PromQL, ${report.checkRules} check)` +
          `${report.skippedRecording ? `, ${report.skippedRecording} recording rule(s) skipped` : ''}; ${verified}; ${report.problems.length} problem(s)\n`,
      );
      process.exitCode = report.ok ? 0 : 1;
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('explain')
    .description('print the effective configuration, secrets masked')
    .action(() => {
      const opts = program.opts<GlobalOpts>();
      const cfg = load(opts);
      const source = opts.config ?? process.env.WS_DOCTOR_CONFIG ?? 'built-in defaults';
      process.stdout.write(lazy().explain().explainConfig(cfg, { source, ...(opts.env ? { env: envOf(cfg, opts) } : {}) }) + '\n');
    });
  config
    .command('reference')
    .description('print every configuration key with its default (Markdown)')
    .action(() => {
      process.stdout.write(lazy().reference().configReference() + '\n');
    });

  program
    .command('start', { isDefault: true })
    .description('start the bot: Slack when credentials are configured, else the interactive console')
    // As the default command, `start` receives every word that names no command (`ws-doctor stauts`): take them
    // here and answer "unknown command" with a suggestion, not commander's "too many arguments for 'start'".
    .allowExcessArguments(true)
    .action(async (_o: unknown, cmd: Command) => {
      if (cmd.args.length > 0) {
        const word = cmd.args[0] ?? '';
        const guess = closest(word, program.commands.map((c) => c.name()));
        program.error(`error: unknown command '${word}'${guess ? ` (did you mean '${guess}'?)` : ''}`, { exitCode: EXIT.usage, code: 'commander.unknownCommand' });
      }
      const opts = program.opts<GlobalOpts>();
      await lazy()
        .main()
        .startBot(load(opts), { interactive: true, cliSocket: { configPath: opts.config }, ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}) });
    });

  program
    .command('demo')
    .description('start the bundled demo stack (own redis-server + AllThrive-compatible backend) and the bot against it')
    .addOption(new Option('--once', 'run one status against the demo stack, print it and exit'))
    .addOption(new Option('--fault <name...>', 'switch these faults on before starting'))
    .action(async (o: { once?: boolean; fault?: string[] }) => {
      oneShot = Boolean(o.once);
      process.exitCode = await lazy().demo().launchDemo({ once: Boolean(o.once), faults: o.fault ?? [], config: program.opts<GlobalOpts>().config });
    });

  return program;
}


export async function main(argv: string[]): Promise<void> {
  // A plain `status` is answered by a running bot with the same config when there is one (cli-socket/ask.ts).
  if (await answerFromRunningBot(argv.slice(2))) return;
  const program = buildProgram();
  let failed = false;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    failed = true;
    // By name, not instanceof: checking must not load the config module (and yaml, zod) for `--help`.
    if (err instanceof Error && /ConfigError$/.test(err.name)) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = EXIT.usage;
    } else if (err && typeof err === 'object' && 'exitCode' in err && 'code' in err) {
      // commander already printed its message (unknown command, missing argument, --help).
      const code = (err as { exitCode: number; code: string }).code;
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : EXIT.usage;
    } else {
      // A person reads this, not a debugger: the message, and the stack only on request.
      const e = err as Error;
      process.stderr.write(`ws-doctor: ${process.env.WS_DOCTOR_DEBUG ? (e.stack ?? String(err)) : (e.message ?? String(err))}\n`);
      process.exitCode = EXIT.usage;
    }
  }
  // A one-shot command has answered (or failed to start): nothing left to wait for.
  if (oneShot || failed) await exitFlushed(Number(process.exitCode ?? 0));
}

if (require.main === module) void main(process.argv);
