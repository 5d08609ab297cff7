/**
 * "The bot in Slack on a healthy stack" in one call: the demo stack (demo-stack.ts), a Doctor on it that records
 * every completed run, and the real Slack adapter against the strict stand-in (slack-harness.ts) over the chosen
 * transport. For tests whose subject is what the bot does in Slack, not how it is assembled.
 *
 *   let bot: DemoSlackBot;
 *   beforeAll(async () => (bot = await startDemoSlackBot({ transport: 'http' })));
 *   afterAll(() => bot?.stop());
 */
import type { Config } from '../../src/config/schema';
import { Doctor } from '../../src/core/doctor';
import type { StatusReport } from '../../src/diagnosis/types';
import { startDemoStack, type DemoStack, type DemoStackOptions } from './demo-stack';
import { startSlackHarness, type HarnessOptions, type SlackHarness } from './slack-harness';

export interface DemoSlackBot {
  stack: DemoStack;
  doctor: Doctor;
  h: SlackHarness;
  /** Every run the Doctor completed, in order (counts runs: "ran once", "nothing ran"). */
  reports: StatusReport[];
  /** Slack app, Doctor, then the stack. */
  stop(): Promise<void>;
}

export interface DemoSlackBotOptions extends Omit<HarnessOptions, 'config' | 'doctor'> {
  /** The bot's config from the demo stack's (e.g. pointed at a hostile proxy in front of the backend). */
  config?: (stack: DemoStack) => Config | Promise<Config>;
  /** How the demo stack itself is started (backend switches, config input such as a policy). */
  stack?: DemoStackOptions;
}

export async function startDemoSlackBot(opts: DemoSlackBotOptions): Promise<DemoSlackBot> {
  const { config: makeConfig, stack: stackOpts, ...harness } = opts;
  const stack = await startDemoStack(stackOpts);
  const reports: StatusReport[] = [];
  let doctor: Doctor | undefined;
  try {
    const config = makeConfig ? await makeConfig(stack) : stack.config;
    doctor = Doctor.create(config, { stateDir: null, onReport: (r) => reports.push(r) });
    const h = await startSlackHarness({ ...harness, config, doctor });
    const d = doctor;
    return {
      stack,
      doctor: d,
      h,
      reports,
      async stop() {
        await h.stop();
        await d.close();
        await stack.stop();
      },
    };
  } catch (err) {
    await doctor?.close();
    await stack.stop();
    throw err;
  }
}
