/** The README's configuration reference is generated from the zod schema; this fails when it is stale. */
import fs from 'node:fs';
import path from 'node:path';
import { BEGIN, END, configReference } from '../../src/config/reference';

describe('README configuration reference', () => {
  it('matches the schema (run `npm run docs:config` after changing src/config/schema.ts)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(configReference().trim());
  });

  it('documents every key with a description', () => {
    const rows = configReference().split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) expect(row.split('|')[4]?.trim().length).toBeGreaterThan(5);
  });
});
