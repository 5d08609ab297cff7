/** Builds the remediation engine of a bot from its config: the policy checked first, with named-key errors. */
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';
import type { StateStore } from '../state/store';
import { RemediationEngine, type EngineOptions, type RemediationHost } from './engine';
import { Policy, policyProblems } from './policy';
import { allActions } from './registry';

export function createRemediations(
  config: Config,
  store: StateStore,
  host: RemediationHost,
  checkNames: readonly string[],
  extra: Partial<Omit<EngineOptions, 'store' | 'policy' | 'host'>> = {},
): RemediationEngine {
  const problems = policyProblems(config.policy, allActions, checkNames);
  if (problems.length) throw new ConfigError('config', problems);
  return new RemediationEngine({
    store,
    policy: new Policy(config.policy, allActions),
    host,
    actions: allActions,
    leaseTtlMs: config.policy.lockTtlSeconds * 1000,
    ...extra,
  });
}
