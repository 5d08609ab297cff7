/** The README's generated sections must match the code they describe (`npm run docs` rewrites them). */
import fs from 'node:fs';
import path from 'node:path';
import { GENERATED_BLOCKS } from '../../src/docs';
import { configReference } from '../../src/config/reference';
import { readBlock } from '../../src/util/generated-blocks';

const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

describe('README generated sections', () => {
  it.each(Object.keys(GENERATED_BLOCKS))('%s is current (run `npm run docs` after changing the schema or the registry)', (name) => {
    expect(readBlock(readme, name)).toBe(GENERATED_BLOCKS[name]!().trim());
  });

  it('documents every config key with a description', () => {
    const rows = configReference().split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) expect(row.split('|')[4]?.trim().length).toBeGreaterThan(5);
  });
});
