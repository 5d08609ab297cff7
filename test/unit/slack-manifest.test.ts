import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load';
import { SlackConfigError, resolveSlack, slackMode } from '../../src/slack/receivers';
import { REPO_ROOT, readManifest } from '../peers/slack-api';

const load = (f: string) => YAML.parse(fs.readFileSync(path.join(REPO_ROOT, f), 'utf8')) as Record<string, any>;

describe('manifests', () => {
  const socket = load('manifest.yml');
  const httpM = load('manifest.http.yml');

  it('declare /ws with a usage hint, interactivity, the Home tab, app_home_opened and app_mention', () => {
    for (const m of [socket, httpM]) {
      const cmd = m.features.slash_commands[0];
      expect(cmd.command).toBe('/ws');
      expect(cmd.usage_hint).toMatch(/status/);
      expect(cmd.description.length).toBeGreaterThan(0);
      expect(m.settings.interactivity.is_enabled).toBe(true);
      expect(m.features.app_home.home_tab_enabled).toBe(true);
      expect(m.settings.event_subscriptions.bot_events).toEqual(['app_home_opened', 'app_mention']);
      expect(m.features.bot_user.display_name).toBe('ws-doctor');
    }
  });

  it('ask only for the scopes the bot uses', () => {
    // app_mentions:read: `@ws-doctor status` (the app_mention event); nothing reads other messages.
    // files:write: the alert graph PNG in the incident card's thread.
    // usergroups:read: user groups (S…) in the policy; im:write: DMs when a remediation card's channel is gone.
    expect(socket.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'app_mentions:read', 'files:write', 'usergroups:read', 'im:write']);
    expect(httpM.oauth_config.scopes.bot).toEqual(socket.oauth_config.scopes.bot);
    // The code calls no method needing another scope (users.info → users:read); files:write is for the alert graph.
    const src = fs.readdirSync(path.join(REPO_ROOT, 'src/slack')).map((f) => fs.readFileSync(path.join(REPO_ROOT, 'src/slack', f), 'utf8')).join('\n');
    const methods = new Set([...src.matchAll(/method: '([a-z]+\.[A-Za-z.]+)'/g)].map((m) => m[1]));
    // chat.postEphemeral (chat:write): the private confirmation of a submitted form (the custom-silence modal).
    expect([...methods].sort()).toEqual([
      'chat.postEphemeral',
      'chat.postMessage',
      'chat.update',
      'conversations.open',
      'files.completeUploadExternal',
      'files.getUploadURLExternal',
      'usergroups.users.list',
      'views.open',
      'views.publish',
      'views.update',
    ]);
  });

  it('differ only in transport: Socket Mode vs templated HTTPS request URLs', () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(httpM.settings.socket_mode_enabled).toBe(false);
    expect(socket.features.slash_commands[0].url).toBeUndefined();
    expect(socket.settings.interactivity.request_url).toBeUndefined();
    const urls = [httpM.features.slash_commands[0].url, httpM.settings.interactivity.request_url, httpM.settings.event_subscriptions.request_url];
    expect(urls).toEqual(Array(3).fill('https://YOUR-HOST/slack/events'));
    const strip = (m: Record<string, any>) => {
      const c = structuredClone(m);
      delete c.settings.socket_mode_enabled;
      delete c.settings.interactivity.request_url;
      delete c.settings.event_subscriptions.request_url;
      delete c.features.slash_commands[0].url;
      return c;
    };
    expect(strip(httpM)).toEqual(strip(socket));
  });

  it('are what the stand-in reads', () => {
    expect(readManifest()).toMatchObject({ scopes: ['commands', 'chat:write', 'app_mentions:read', 'files:write', 'usergroups:read', 'im:write'], commands: ['/ws'], socketMode: true, homeTab: true, botEvents: ['app_home_opened', 'app_mention'] });
    expect(readManifest(path.join(REPO_ROOT, 'manifest.http.yml')).socketMode).toBe(false);
  });
});

describe('slackMode', () => {
  const cfg = (slack: Record<string, unknown> = {}) => parseConfig({ slack });
  const bot = 'xoxb-1-abc';
  const app = 'xapp-1-abc';

  it('auto: socket with an app token, http with a signing secret, else off', () => {
    expect(slackMode(cfg(), {})).toBe('off');
    expect(slackMode(cfg({ botToken: bot }), {})).toBe('off');
    expect(slackMode(cfg({ botToken: bot, appToken: app }), {})).toBe('socket');
    expect(slackMode(cfg({ botToken: bot, signingSecret: 's' }), {})).toBe('http');
    expect(slackMode(cfg({ botToken: bot, signingSecret: 's', appToken: app }), {})).toBe('socket');
    expect(slackMode(cfg(), { SLACK_BOT_TOKEN: bot, SLACK_SIGNING_SECRET: 's' })).toBe('http');
  });

  it('explicit modes require their credentials and never echo a secret', () => {
    expect(slackMode(cfg({ mode: 'off', botToken: bot, appToken: app }), {})).toBe('off');
    expect(slackMode(cfg({ mode: 'http', botToken: bot, signingSecret: 's', appToken: app }), {})).toBe('http');
    expect(() => slackMode(cfg({ mode: 'socket', botToken: bot }), {})).toThrow(SlackConfigError);
    expect(() => slackMode(cfg({ mode: 'http', botToken: bot }), {})).toThrow(/SLACK_SIGNING_SECRET/);
    try {
      slackMode(cfg({ botToken: 'xoxp-user-token-secret' }), {});
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as Error).message).toMatch(/xoxb-/);
      expect((e as Error).message).not.toContain('user-token-secret');
    }
  });

  it('resolves the command and API URL', () => {
    const r = resolveSlack(cfg({ botToken: bot, appToken: app, command: 'wsd', apiUrl: 'http://127.0.0.1:1/api/' }), {});
    expect(r).toMatchObject({ mode: 'socket', command: '/wsd', apiUrl: 'http://127.0.0.1:1/api/' });
  });
});
