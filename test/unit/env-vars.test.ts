/**
 * The environment table (README, generated from src/config/env-vars.ts) cannot drift from the code: every
 * variable the source reads is listed, and every listed variable is read somewhere.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ENV_VARS, PER_ENV_SECRETS, envVarsReference } from '../../src/config/env-vars';

const ROOT = path.resolve(__dirname, '..', '..');
const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src/*.ts', 'src/**/*.ts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && fs.existsSync(path.join(ROOT, f)))
  .map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
  .join('\n');

/** `process.env.X`, `env.X`, `env['X']`, and the per-environment secrets read through envSecret(…, 'NAME'). */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const m of sources.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) names.add((m[1] ?? m[2])!);
  for (const m of sources.matchAll(/envSecret\([^,]+,\s*'([A-Z_]+)'/g)) names.add(`WS_DOCTOR_${m[1]}`);
  // Read only as fallbacks by libraries' conventions, not settings of ws-doctor.
  for (const ignored of ['PATH', 'USER', 'HOME']) names.delete(ignored);
  return names;
}

describe('environment variables', () => {
  const listed = new Set(ENV_VARS.map((v) => v.name));

  it('every variable the code reads is in the table', () => {
    expect([...variablesRead()].filter((n) => !listed.has(n)).sort()).toEqual([]);
  });

  it('every variable in the table is read by the code', () => {
    const read = variablesRead();
    expect([...listed].filter((n) => !read.has(n)).sort()).toEqual([]);
  });

  it('the per-environment secrets are the ones config/secrets.ts resolves', () => {
    for (const name of PER_ENV_SECRETS) expect(listed.has(`WS_DOCTOR_${name}`)).toBe(true);
    expect(envVarsReference()).toContain('WS_DOCTOR_<ENV>_SERVICE_PASSWORD');
  });
});
