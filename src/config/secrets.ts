/**
 * Secrets come from the environment, not the YAML file: `WS_DOCTOR_<ENV>_<NAME>` wins over `WS_DOCTOR_<NAME>`.
 * `<ENV>` is the environment name upper-cased with `-` turned into `_` (staging-eu → STAGING_EU).
 */
export function envSecret(envName: string, name: string, source: NodeJS.ProcessEnv = process.env): string | undefined {
  const scoped = `WS_DOCTOR_${envName.toUpperCase().replace(/-/g, '_')}_${name}`;
  const v = source[scoped] ?? source[`WS_DOCTOR_${name}`];
  return v === undefined || v === '' ? undefined : v;
}
