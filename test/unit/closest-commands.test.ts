/** The CLI's "did you mean" for a mistyped command uses the chat parser's `closest` (src/util/closest.ts). */
import { closest } from '../../src/util/closest';

const COMMANDS = ['status', 'check', 'why', 'logs', 'history', 'remediate', 'audit', 'rules', 'config', 'start', 'demo', 'help'];

it('suggests the command a typo was meant to be (swaps, drops, extra letters, case)', () => {
  expect(closest('stauts', COMMANDS)).toBe('status');
  expect(closest('lgos', COMMANDS)).toBe('logs');
  expect(closest('histroy', COMMANDS)).toBe('history');
  expect(closest('remediat', COMMANDS)).toBe('remediate');
  expect(closest('STATUS', COMMANDS)).toBe('status');
});

it('suggests nothing for a word that is no typo of any command', () => {
  expect(closest('frobnicate', COMMANDS)).toBeUndefined();
  expect(closest('x', COMMANDS)).toBeUndefined();
  expect(closest('', COMMANDS)).toBeUndefined();
});
