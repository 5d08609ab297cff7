/**
 * Whether this command line is a plain `status` a running bot may answer, read before commander is built:
 * `status` with `--json`, `-c/--config` and `-e/--env` (before or after the word), nothing else. Anything more —
 * `--standalone`, `--help`, another option, another command, a typo — is left to commander, which runs or
 * refuses it as always.
 */
export interface DelegableStatus {
  configPath?: string;
  env?: string;
  json: boolean;
}

export function delegableStatus(args: readonly string[]): DelegableStatus | undefined {
  const out: DelegableStatus = { json: false };
  let status = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const eq = /^(--config|--env)=(.*)$/.exec(a);
    if (a === 'status' && !status) status = true;
    else if (a === '--json' && status && !out.json) out.json = true;
    else if (eq) {
      if (!take(out, eq[1] === '--config' ? 'configPath' : 'env', eq[2] ?? '')) return undefined;
    } else if (a === '-c' || a === '--config' || a === '-e' || a === '--env') {
      const v = args[++i];
      if (v === undefined || !take(out, a === '-c' || a === '--config' ? 'configPath' : 'env', v)) return undefined;
    } else return undefined;
  }
  return status ? out : undefined;
}

/** Sets a value once; a value that looks like an option, an empty one or a repeat is commander's to judge. */
function take(o: DelegableStatus, key: 'configPath' | 'env', v: string): boolean {
  if (v === '' || v.startsWith('-') || o[key] !== undefined) return false;
  o[key] = v;
  return true;
}
