/**
 * Every module the CLI loads on demand, one getter each, required by the command that needs it: `--help` loads
 * commander and cli.ts only, `config reference` adds the schema, `status` the checks and their clients — never
 * the Slack SDK, the Docker client's gRPC stack or the demo. (A one-shot CLI pays for every module it loads on
 * every run: cron runs it every minute.)
 *
 * The bin's bundle is split here (scripts/bundle.js): cli.ts and commander in one small file, everything behind
 * these getters in the other, so `--help` never reads or compiles the big one.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const config = () => require('./config/load') as typeof import('./config/load');
export const explain = () => require('./config/explain') as typeof import('./config/explain');
export const reference = () => require('./config/reference') as typeof import('./config/reference');
export const dispatch = () => require('./chat/dispatch') as typeof import('./chat/dispatch');
export const parse = () => require('./chat/parse') as typeof import('./chat/parse');
export const render = () => require('./console/render') as typeof import('./console/render');
export const statusMessage = () => require('./chat/status-message') as typeof import('./chat/status-message');
export const doctor = () => require('./core/doctor') as typeof import('./core/doctor');
export const main = () => require('./main') as typeof import('./main');
export const demo = () => require('./demo-launch') as typeof import('./demo-launch');
export const user = () => require('./util/local-user') as typeof import('./util/local-user');
export const ruleFiles = () => require('./alerts/rules/check-files') as typeof import('./alerts/rules/check-files');
export const checks = () => require('./checks/registry') as typeof import('./checks/registry');
export const causes = () => require('./diagnosis/causes') as typeof import('./diagnosis/causes');
