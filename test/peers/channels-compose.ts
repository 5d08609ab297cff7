/**
 * The Channels peer as a Compose deployment on podman's Docker Engine API: `redis` and `web` containers with
 * the labels Compose sets, each on the host root as an overlay rootfs (`--rootfs /:O`) and `--network host`,
 * so the very same redis-server and Debian Daphne run inside containers and the bot reads Daphne's own logs
 * through the engine, as in the field.
 */
import { freePort, waitForPort } from '../../src/util/net';
import { CHANNELS_APP_DIR, channelsPeerArgv, channelsPeerSettings, requireChannelsPeerPackages } from './daphne';
import type { PodmanPeer } from './podman';

export interface ComposeChannelsStack {
  readonly project: string;
  readonly redisPort: number;
  readonly redisUrl: string;
  readonly webPort: number;
  readonly webUrl: string;
  readonly webName: string;
  readonly redisName: string;
  /**
   * Recreate the web container with other settings (a redeploy). `crashLoop`: the deployment cannot start
   * (Django settings raise at import) under `restart: always`, so the engine restarts it again and again.
   */
  redeployWeb(o?: WebDeployment): Promise<void>;
}

export interface WebDeployment {
  debug?: boolean;
  settings?: Record<string, string>;
  crashLoop?: boolean;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export async function startComposeChannelsStack(podman: PodmanPeer, project: string): Promise<ComposeChannelsStack> {
  await requireChannelsPeerPackages();
  const redisPort = await freePort();
  const webPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redisName = `${project}-redis-1`;
  const webName = `${project}-web-1`;
  await podman.run({
    name: redisName,
    rootfs: '/:O',
    compose: { project, service: 'redis' },
    cmd: `exec redis-server --bind 127.0.0.1 --port ${redisPort} --save '' --appendonly no --protected-mode no`,
  });
  await waitForPort(redisPort, 20000);

  const runWeb = async (o: WebDeployment = {}): Promise<void> => {
    // An unparsable user list makes wsdpeer/settings.py raise at import: Daphne prints the traceback and exits.
    const settings = o.crashLoop ? { ...o.settings, WSD_USERS: '{not json' } : o.settings;
    const env = channelsPeerSettings({ redisUrl, ...(o.debug !== undefined ? { debug: o.debug } : {}), ...(settings ? { settings } : {}) });
    await podman.run({
      name: webName,
      rootfs: '/:O',
      compose: { project, service: 'web' },
      env,
      workdir: CHANNELS_APP_DIR,
      ...(o.crashLoop ? { restart: 'always' as const } : {}),
      cmd: `exec ${channelsPeerArgv(webPort).map(shellQuote).join(' ')}`,
    });
    if (o.crashLoop) return;
    await waitForPort(webPort, 30000);
    // Django imports views lazily: the first request after a start can take seconds on a loaded machine. A
    // deployment counts as up once it has answered one request (as an orchestrator's readiness probe would).
    await fetch(`http://127.0.0.1:${webPort}/api/v1/health/`).catch(() => undefined);
  };
  await runWeb();

  return {
    project,
    redisPort,
    redisUrl,
    webPort,
    webUrl: `http://127.0.0.1:${webPort}`,
    webName,
    redisName,
    async redeployWeb(o = {}) {
      const r = await podman.podman(['rm', '-f', '-t', '2', webName], 60000);
      if (r.code !== 0) throw new Error(`podman rm ${webName}: ${r.stderr}`);
      await runWeb(o);
    },
  };
}
