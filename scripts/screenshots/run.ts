/**
 * `npm run screenshots`: the README's pictures, made from the bot's real output. It starts the demo stack (its own
 * redis-server and the AllThrive-compatible demo backend), runs the real Doctor against it — healthy, then with
 * Redis really stopped, then healthy again — renders the Slack answer and the App Home with the bot's own Block
 * Kit renderer (src/slack/render.ts), draws those blocks as Slack does (blockkit-html.ts) and screenshots them
 * with headless Chromium. Output: docs/images/status-message.png and docs/images/app-home.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { statusMessage } from '../../src/chat/status-message';
import { parseConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { demoConfig } from '../../src/demo/demo-config';
import { startDemoBackend } from '../../src/demo/index';
import { startRedisServer, type RedisProcess } from '../../src/demo/redis-process';
import { homeModel } from '../../src/slack/home';
import { renderHome, renderMessage } from '../../src/slack/render';
import { homePage, messagePage } from './blockkit-html';
import { Chromium } from './chromium';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'images');
const WIDTH = 760;

function clock(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

async function main(): Promise<void> {
  let redis: RedisProcess | undefined = await startRedisServer();
  const port = redis.port;
  const backend = await startDemoBackend({ redisUrl: redis.url, loginRatePerMinute: 1000 });
  const config = demoConfig(parseConfig({}), backend, redis.url);
  const doctor = Doctor.create(config, { stateDir: null });
  const work = mkdtempSync(path.join(tmpdir(), 'wsd-shots-'));
  let browser: Chromium | undefined;
  try {
    await doctor.status('demo');
    // A real outage: the Redis the backend and the bot both use stops.
    await redis.stop();
    redis = undefined;
    const down = await doctor.status('demo');
    const answer = renderMessage(statusMessage(down), { ref: 'shot1' });
    redis = await startRedisServer({ port });
    // The backend reconnects with a backoff: run until the stack is healthy again (as it is after a real restart).
    for (let i = 0; i < 20 && (await doctor.status('demo')).verdict.overall !== 'ok'; i++) await new Promise((r) => setTimeout(r, 500));
    const home = renderHome(homeModel(doctor, { running: new Set(), prefix: '/ws' }));

    mkdirSync(OUT, { recursive: true });
    const pages = [
      { file: 'status-message.png', html: messagePage({ blocks: answer.blocks as never[], channel: 'ops', time: clock(down.startedAt), ephemeral: true, width: WIDTH }) },
      { file: 'app-home.png', html: homePage({ blocks: home.blocks as never[], width: WIDTH }) },
    ];
    browser = await Chromium.launch();
    for (const p of pages) {
      const htmlFile = path.join(work, p.file.replace(/\.png$/, '.html'));
      writeFileSync(htmlFile, p.html);
      const png = await browser.screenshot(pathToFileURL(htmlFile).href, WIDTH);
      writeFileSync(path.join(OUT, p.file), png);
      process.stdout.write(`wrote docs/images/${p.file} (${png.length} bytes)\n`);
    }
  } finally {
    await browser?.close();
    await doctor.close();
    await backend.stop();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
