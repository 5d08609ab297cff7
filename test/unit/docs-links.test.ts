/**
 * Every Markdown file of the repo links only to files the repo has: a newcomer following a link must find it.
 * Links are checked relative to the file that holds them; web links and in-page anchors are left alone.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && fs.existsSync(path.join(ROOT, f)));

describe('Markdown links', () => {
  it('finds the Markdown files', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/target-system.md']));
  });

  it.each(files)('%s links only to files that exist', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (!target || /^[a-z]+:/i.test(target)) continue;
      if (!fs.existsSync(path.resolve(ROOT, path.dirname(file), target))) broken.push(m[1]!);
    }
    expect(broken).toEqual([]);
  });

  it('no document points at the team-internal notes a user does not have', () => {
    for (const file of files) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      expect({ file, refs: text.match(/\bARCHITECTURE\.md|slack-limits\.md|(?<!docs\/)\btarget-system\.md|\/work\/shared/g) ?? [] }).toEqual({ file, refs: [] });
    }
  });
});
