/** Command dispatch is pure routing: an in-test DoctorApi stands in for the core (the real one is e2e-tested). */
import { dispatch } from '../../src/chat/dispatch';
import type { DoctorApi } from '../../src/core/api';
import { renderText } from '../../src/console/render';
import { retypeCommands } from '../../src/chat/text';

const doctor: DoctorApi = {
  defaultEnv: 'local',
  envNames: () => ['local', 'staging'],
  checkNames: () => ['redis', 'chat-handshake', 'metrics'],
  status: () => Promise.reject(new Error('not used')),
  history: async () => [],
  lastReport: () => undefined,
  logs: () => Promise.reject(new Error('not used')),
  logsUnavailable: () => '`logs` needs the Docker engine: set `docker.enabled: true` and the socket in the config.',
};

const say = (text: string): string => {
  const plan = dispatch(text, { doctor, surface: 'slack', prefix: '/ws' });
  if (plan.kind !== 'immediate') throw new Error(`expected an immediate answer to "${text}"`);
  return renderText(plan.message, { color: false, prefix: '/ws' });
};

describe('dispatch', () => {
  it('names an unknown environment with the closest one and the known ones', () => {
    expect(say('status --env stagin')).toContain('No environment named stagin. Did you mean staging? Known environments: local, staging.');
  });
  it('suggests check names for check and history alike', () => {
    expect(say('check metrcs')).toContain('No check named metrcs. Did you mean metrics?');
    expect(say('history redsi')).toContain('No check named redsi. Did you mean redis?');
  });
  it('unknown commands get the full help with the closest command', () => {
    const text = say('hepl');
    expect(text).toContain('Unknown command hepl. Did you mean /ws help?');
    expect(text).toContain('/ws status [--env E] [share]');
    expect(text).toContain('/ws logs [service]');
  });
  it('help speaks the surface\'s own prefix (no shared global between Slack and the CLI)', async () => {
    const run = async (prefix: string): Promise<string> => {
      const plan = dispatch('help', { doctor, surface: 'cli', prefix });
      return renderText(plan.kind === 'run' ? await plan.run() : plan.message, { color: false });
    };
    expect(await run('ws-doctor')).toContain('ws-doctor check <name>');
    expect(await run('/doctor')).toContain('/doctor check <name>');
  });

  it('commands named in any text are retyped for the surface (a custom slash command, the CLI, the console)', async () => {
    expect(retypeCommands('Look at `/ws logs web` then `/ws`; keep `/wsx` and `/ws/health/`.', '/wsd')).toBe('Look at `/wsd logs web` then `/wsd`; keep `/wsx` and `/ws/health/`.');
    expect(retypeCommands('see `/ws check redis`', 'ws-doctor')).toBe('see `ws-doctor check redis`');
    expect(retypeCommands('see `/ws check redis` or `/ws`', '')).toBe('see `check redis` or `status`');
    const seen: DoctorApi = {
      ...doctor,
      history: async () => [{ env: 'local', at: '2026-12-01T00:00:00.000Z', finding: { check: 'redis', status: 'fail', summary: 'down: read `/ws logs redis`', evidence: {}, durationMs: 1, ref: 'x' } }],
    };
    const plan = dispatch('history', { doctor: seen, surface: 'slack', prefix: '/wsd' });
    const msg = plan.kind === 'run' ? await plan.run() : plan.message;
    expect(JSON.stringify(msg)).toContain('`/wsd logs redis`');
    expect(JSON.stringify(msg)).not.toContain('`/ws logs');
  });

  it('the console types commands bare and hides Slack-only options (share)', async () => {
    const plan = dispatch('help', { doctor, surface: 'console', prefix: '' });
    const text = renderText(plan.kind === 'run' ? await plan.run() : plan.message, { color: false });
    expect(text).toContain('status [--env E] — Run every diagnostic');
    expect(text).not.toMatch(/share|\/ws|`/);
    const typo = dispatch('stauts now', { doctor, surface: 'console', prefix: '' });
    expect(typo.kind === 'immediate' && renderText(typo.message, { color: false })).toContain('Unknown command stauts. Did you mean status?');
    const bad = dispatch('status extra', { doctor, surface: 'console', prefix: '' });
    expect(bad.kind === 'immediate' && renderText(bad.message, { color: false })).toContain('Usage: status [--env E]\n');
  });

  it('logs without a Docker engine says how to get one; malformed logs options say what is wrong', () => {
    expect(say('logs')).toContain('logs needs the Docker engine');
    const withLogs = { ...doctor, logsUnavailable: () => undefined };
    const plan = dispatch('logs web --tail lots', { doctor: withLogs, surface: 'console', prefix: '/ws' });
    expect(plan.kind === 'immediate' && renderText(plan.message, { color: false })).toContain('--tail needs a whole number from 1 to 500.');
  });
  it('slow commands come with a placeholder and keep the share flag and environment', () => {
    const plan = dispatch('status share --env staging', { doctor, surface: 'slack', prefix: '/ws' });
    expect(plan).toMatchObject({ kind: 'run', command: 'status', env: 'staging', slow: true, share: true });
    expect(plan.kind === 'run' && plan.placeholder.text).toBe('Running status on staging…');
  });
  it('a command that throws still answers, redacted', async () => {
    const broken = { ...doctor, status: () => Promise.reject(new Error('boom token=Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE')) };
    const plan = dispatch('status', { doctor: broken, surface: 'console', prefix: '/ws' });
    const msg = plan.kind === 'run' ? await plan.run() : plan.message;
    const text = renderText(msg, { color: false });
    expect(text).toContain('status failed: boom token=[REDACTED]');
  });
});
