import { closest, parseInvocation, quoteArg, tokenize } from '../../src/chat/parse';

describe('command parsing', () => {
  it('defaults to status and takes --env anywhere', () => {
    expect(parseInvocation('')).toEqual({ ok: true, invocation: { name: 'status', args: [], share: false } });
    expect(parseInvocation('--env staging')).toEqual({ ok: true, invocation: { name: 'status', args: [], share: false, env: 'staging' } });
    expect(parseInvocation('check redis --env=prod share')).toEqual({ ok: true, invocation: { name: 'check', args: ['redis'], share: true, env: 'prod' } });
  });
  it('says exactly what is wrong with a malformed --env', () => {
    expect(parseInvocation('status --env')).toEqual({ ok: false, error: expect.stringContaining('`--env` needs an environment name') });
    expect(parseInvocation('status --env --share')).toMatchObject({ ok: false });
  });
  it('keeps quoted patterns together', () => {
    expect(tokenize('logs web --grep "WS_TOKEN Invalid"')).toEqual(['logs', 'web', '--grep', 'WS_TOKEN Invalid']);
  });
  it('quoteArg round-trips through tokenize, regex backslashes included', () => {
    for (const arg of ['WS_TOKEN', 'two words', String.raw`user=\d+`, "it's", 'say "hi"', '']) {
      expect(tokenize(`logs --grep ${quoteArg(arg)}`)).toEqual(['logs', '--grep', arg]);
    }
  });
  it('suggests the closest command for typos and prefixes, nothing for noise', () => {
    const known = ['status', 'check', 'logs', 'history', 'help'];
    expect(closest('stauts', known)).toBe('status');
    expect(closest('hist', known)).toBe('history');
    expect(closest('chek', known)).toBe('check');
    expect(closest('xylophone', known)).toBeUndefined();
  });
});
