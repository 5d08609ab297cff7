import { programOf } from '../../src/targets/docker-hostports';

describe('front-end dev server detection matches the program, not any command line mentioning vite', () => {
  const vite = /^vite(\.js)?$/i;
  it.each([
    [['node', '/app/node_modules/vite/bin/vite.js', '--host'], true],
    [['/app/node_modules/.bin/vite'], true],
    [['npx', 'vite'], true],
    [['sh', '-c', 'vite --port 3000'], true],
    [['vim', 'vite.config.ts'], false],
    [['grep', '-r', 'vite', '.'], false],
    [['node', '/app/node_modules/vitest/vitest.mjs'], false],
    [['npm', 'run', 'dev'], false],
    [['node', '/srv/tools/check-vite.js'], false],
  ])('%j → %s', (argv, expected) => {
    expect(vite.test(programOf(argv))).toBe(expected);
  });
});
