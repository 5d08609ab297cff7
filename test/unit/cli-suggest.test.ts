import { closestWord } from '../../src/cli-suggest';

const COMMANDS = ['status', 'check', 'why', 'logs', 'history', 'remediate', 'audit', 'rules', 'config', 'start', 'demo', 'help'];

it('suggests the command a typo was meant to be (swaps, drops, extra letters, case)', () => {
  expect(closestWord('stauts', COMMANDS)).toBe('status');
  expect(closestWord('lgos', COMMANDS)).toBe('logs');
  expect(closestWord('histroy', COMMANDS)).toBe('history');
  expect(closestWord('remediat', COMMANDS)).toBe('remediate');
  expect(closestWord('STATUS', COMMANDS)).toBe('status');
});

it('suggests nothing for a word that is no typo of any command', () => {
  expect(closestWord('frobnicate', COMMANDS)).toBeUndefined();
  expect(closestWord('x', COMMANDS)).toBeUndefined();
  expect(closestWord('', COMMANDS)).toBeUndefined();
});
