/**
 * `npm run docs`: rewrites the generated blocks of README.md (configuration reference, checks, buttons and environment-variable tables).
 * test/unit/readme.test.ts fails when they are stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { actionsReference } from './chat/actions/reference';
import { checksReference } from './checks/reference';
import { configReference } from './config/reference';
import { envVarsReference } from './config/env-vars';
import { writeBlock } from './util/generated-blocks';

export const GENERATED_BLOCKS: Record<string, () => string> = {
  'config-reference': configReference,
  'checks-table': checksReference,
  'actions-table': actionsReference,
  'env-vars': envVarsReference,
};

if (require.main === module) {
  const file = path.resolve(process.argv[2] ?? 'README.md');
  let text = fs.readFileSync(file, 'utf8');
  for (const [name, make] of Object.entries(GENERATED_BLOCKS)) text = writeBlock(text, name, make());
  fs.writeFileSync(file, text);
  process.stdout.write(`updated ${Object.keys(GENERATED_BLOCKS).join(', ')} in ${file}\n`);
}
