/**
 * The runner's scheduling logic with in-test checks (pure logic; the real checks are covered by the
 * integration tests against real peers).
 */
import { environmentSchema } from '../../src/config/schema';
import { runChecks, withDependencies } from '../../src/checks/runner';
import type { Check, CheckOutcome } from '../../src/checks/types';
import type { Targets } from '../../src/targets/targets';

const env = environmentSchema.parse({ checks: { deadlineMs: 300, timeoutMs: 200 } });
const targets = { envName: 't', env } as unknown as Targets;

const check = (name: string, run: Check['run'], extra: Partial<Check> = {}): Check => ({ name, title: name, ref: 'test', run, ...extra });
const after = (ms: number, o: CheckOutcome, signal?: AbortSignal): Promise<CheckOutcome> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(o), ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))));
  });

describe('runner', () => {
  it('runs checks in parallel, not in sequence', async () => {
    const checks = [1, 2, 3, 4].map((i) => check(`c${i}`, () => after(100, { status: 'ok', summary: 'fine' })));
    const r = await runChecks({ envName: 't', env, targets, checks });
    expect(r.findings.map((f) => f.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(r.durationMs).toBeLessThan(250);
  });

  it('cuts a hung check at its own timeout, aborts its signal and names it', async () => {
    let aborted = false;
    const hung = check('hung', (ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      return new Promise<CheckOutcome>(() => undefined);
    }, { timeoutMs: () => 50 });
    const fine = check('fine', async () => ({ status: 'ok', summary: 'fine' }));
    const r = await runChecks({ envName: 't', env, targets, checks: [hung, fine] });
    expect(r.timedOut).toEqual(['hung']);
    const f = r.findings.find((x) => x.check === 'hung')!;
    expect(f.status).toBe('fail');
    expect(f.signals).toContain('timeout');
    expect(f.summary).toMatch(/no answer within 50 ms \(check timeout\)/);
    expect(aborted).toBe(true);
    expect(r.findings.find((x) => x.check === 'fine')!.status).toBe('ok');
  });

  it('returns by the run deadline even when checks ignore their signal', async () => {
    const stubborn = check('stubborn', () => new Promise<CheckOutcome>(() => undefined), { timeoutMs: () => 10_000 });
    const t0 = Date.now();
    const r = await runChecks({ envName: 't', env, targets, checks: [stubborn], deadlineMs: 150 });
    expect(Date.now() - t0).toBeLessThan(150 + 100);
    expect(r.findings[0]!.summary).toMatch(/run deadline/);
  });

  it('hands artifacts to dependent checks and runs dependencies first', async () => {
    const order: string[] = [];
    const issue = check('issue', async () => (order.push('issue'), { status: 'ok', summary: 'issued', artifacts: { token: 'abc' } }));
    const use = check(
      'use',
      async (ctx) => {
        const r = await ctx.resultOf('issue');
        order.push('use');
        return { status: r?.artifacts.token === 'abc' ? 'ok' : 'fail', summary: 'used' };
      },
      { after: ['issue'] },
    );
    const r = await runChecks({ envName: 't', env, targets, checks: [use, issue] });
    expect(order).toEqual(['issue', 'use']);
    expect(r.findings.find((f) => f.check === 'use')!.status).toBe('ok');
    // Artifacts never reach findings.
    expect(JSON.stringify(r.findings)).not.toContain('abc');
  });

  it('turns a crashing check into an unknown finding and redacts what it says', async () => {
    const crash = check('crash', async () => {
      throw new Error('boom with token=Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE');
    });
    const leaky = check('leaky', async () => ({ status: 'ok', summary: 'cookie access_token=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.sig123456', evidence: { password: 'hunter2' } }));
    const r = await runChecks({ envName: 't', env, targets, checks: [crash, leaky] });
    expect(r.findings[0]).toMatchObject({ status: 'unknown', signals: ['check-error'] });
    expect(JSON.stringify(r.findings)).not.toMatch(/Abcdefghij|eyJ|hunter2/);
  });

  it('expands dependencies in registry order and rejects unknown names', () => {
    const a = check('a', async () => ({ status: 'ok', summary: '' }));
    const b = check('b', async () => ({ status: 'ok', summary: '' }), { after: ['a'] });
    const c = check('c', async () => ({ status: 'ok', summary: '' }), { after: ['b'] });
    expect(withDependencies(['c'], [a, b, c]).map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(() => withDependencies(['nope'], [a])).toThrow(/unknown check "nope"/);
  });
});
