/** The press path shared by every action: seal, size, schema, policy — and the registry's own invariants. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { press } from '../../src/chat/actions/press';
import { actions } from '../../src/chat/actions/registry';
import { ActionSeal, MAX_VALUE_CHARS, sealActions } from '../../src/chat/actions/seal';
import type { ActionContext } from '../../src/chat/actions/types';
import type { MessageModel } from '../../src/chat/model';
import { loadActionKey } from '../../src/state/action-key';
import { redact } from '../../src/telemetry/redact';

const seal = new ActionSeal(randomBytes(32));

function harness(place: ActionContext['place'] = 'private') {
  const warnings: string[] = [];
  const ran: string[] = [];
  const ctx = (): ActionContext => ({
    doctor: {} as ActionContext['doctor'],
    surface: 'console',
    prefix: '/ws',
    user: { id: 'U1' },
    place,
    runCommand: async (text) => {
      ran.push(text);
      return { text: `ran ${text}`, blocks: [] };
    },
    progress: () => undefined,
  });
  return { warnings, ran, go: (actionId: string, value?: string) => press({ actionId, ...(value !== undefined ? { value } : {}) }, ctx, { seal, log: { warn: (m) => warnings.push(m) } }) };
}

describe('seal', () => {
  it('round-trips a value and its result ref, bound to the action id', () => {
    const v = seal.seal('rerun', { env: 'local', check: 'redis' }, 'ref1');
    expect(seal.unseal('rerun', v)).toEqual({ ok: true, unsealed: { value: { env: 'local', check: 'redis' }, ref: 'ref1' } });
    expect(seal.unseal('details', v)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
  });

  it('another key (another bot, or a forger) cannot make a value this bot accepts', () => {
    const other = new ActionSeal(randomBytes(32)).seal('rerun', { env: 'local' });
    expect(seal.unseal('rerun', other)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
  });

  it('the redactor never alters a sealed value (its MAC must survive rendering), whatever its length', () => {
    for (let n = 0; n < 200; n++) {
      const v = seal.seal('rerun', { env: 'e'.repeat(n % 60 + 1) }, n % 2 ? `r${n}` : undefined);
      expect(redact(v)).toBe(v);
      expect(seal.unseal('rerun', v).ok).toBe(true);
    }
  });

  it('a secret put in a value is redacted before sealing', () => {
    const v = seal.seal('rerun', { env: 'local', note: 'token=Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE' });
    const r = seal.unseal('rerun', v);
    expect(r.ok && JSON.stringify(r.unsealed.value)).toContain('token=[REDACTED]');
  });

  it('sealActions seals every button of a model, once per model and ref', () => {
    const model: MessageModel = { text: 't', blocks: [{ type: 'actions', actions: [{ kind: 'rerun', label: 'Re-run', value: { env: 'local' } }] }] };
    const a = sealActions(model, seal, 'x');
    expect(sealActions(model, seal, 'x')).toBe(a);
    const button = a.blocks[0]?.type === 'actions' ? a.blocks[0].actions[0] : undefined;
    expect(seal.unseal('rerun', button?.value as string)).toEqual({ ok: true, unsealed: { value: { env: 'local' }, ref: 'x' } });
    expect(model.blocks[0]).toEqual({ type: 'actions', actions: [{ kind: 'rerun', label: 'Re-run', value: { env: 'local' } }] });
  });
});

describe('press', () => {
  it('runs a genuine press', async () => {
    const h = harness();
    const out = await h.go('rerun', seal.seal('rerun', { env: 'local', check: 'redis' }));
    expect(out.ok).toBe(true);
    expect(h.ran).toEqual(['check redis --env local']);
  });

  it.each([
    ['no value', undefined, /carries no value/],
    ['a plain value', 'local|redis', /not sealed by this bot/],
    ['an oversized value', '1~' + 'A'.repeat(MAX_VALUE_CHARS) + '~x', /at most 2000/],
    ['a bad MAC', seal.seal('rerun', { env: 'local' }).replace(/~[^~]+$/, '~AAAAAAAAAAAAAAAAAAAAAA'), /signature/],
    ['a truncated MAC', seal.seal('rerun', { env: 'local' }).slice(0, -3), /signature/],
    ['a value failing the schema', seal.seal('rerun', { env: '../../etc' }), /does not fit `rerun`/],
    ['an unknown field', seal.seal('rerun', { env: 'local', run: 'FLUSHALL' }), /does not fit `rerun`/],
  ])('refuses %s privately, logs it, runs nothing', async (_name, value, reason) => {
    const h = harness();
    const out = await h.go('rerun', value);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reason).toMatch(reason);
    expect(out.refusal.text).toMatch(/refused: nothing was run/);
    expect(h.warnings.join('\n')).toMatch(reason);
    expect(h.ran).toEqual([]);
  });

  it('refuses an action id this version does not have', async () => {
    const h = harness();
    const out = await h.go('remediate:restart-web', 'x');
    expect(out).toMatchObject({ ok: false, reason: expect.stringMatching(/no action `remediate:restart-web`/) });
  });

  it('asks the policy hook: Post to channel is refused on App Home', async () => {
    const h = harness('home');
    const out = await h.go('share', seal.seal('share', { env: 'local' }));
    expect(out).toMatchObject({ ok: false, reason: expect.stringMatching(/not on App Home/) });
    expect(h.ran).toEqual([]);
  });
});

describe('registry', () => {
  it('ids are unique and fit a Slack action_id', () => {
    const ids = actions.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(`wsd:${id}:99`.length).toBeLessThanOrEqual(255);
  });
});

describe('action key', () => {
  it('is created once (0600) and survives a restart; two loads agree', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-key-'));
    try {
      const a = loadActionKey(dir);
      const b = loadActionKey(dir);
      expect(a.persistent).toBe(true);
      expect(b.key.equals(a.key)).toBe(true);
      expect(fs.statSync(path.join(dir, 'action-key')).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
