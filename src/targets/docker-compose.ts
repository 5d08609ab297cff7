/**
 * Compose identity of a container: which project and service it belongs to. The labels Compose sets come first
 * (`com.docker.compose.project` / `.service`); containers without them (created by hand, or by tools that drop
 * labels) are matched by name, in both styles the real stack mixes: Compose v1 `<project>_<service>_<n>` and
 * Compose v2 `<project>-<service>-<n>` (target-system §7).
 */

export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_SERVICE = 'com.docker.compose.service';
export const LABEL_NUMBER = 'com.docker.compose.container-number';
export const LABEL_ONEOFF = 'com.docker.compose.oneoff';

export type Naming = 'v1' | 'v2' | 'other';

export interface ComposeIdentity {
  project: string;
  service: string;
  number?: number;
  /** How the service was found: its labels, or (fallback) its name. */
  identifiedBy: 'label' | 'name';
  /** The naming style of the container's name. */
  naming: Naming;
  /** `docker compose run` containers: not part of the running stack. */
  oneOff: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compose v1 strips everything but [a-z0-9] from the project name; v2 keeps `-` and `_`. */
function projectVariants(project: string): string[] {
  const lower = project.toLowerCase();
  const v1 = lower.replace(/[^a-z0-9]/g, '');
  return [...new Set([project, lower, v1].filter(Boolean))];
}

/** `allthriveai_celery-beat_1` → v1, `allthriveai-celery-beat-1` → v2, for a known project. */
export function parseComposeName(name: string, project: string): { service: string; number: number; naming: Naming } | undefined {
  const bare = name.replace(/^\//, '');
  for (const p of projectVariants(project)) {
    const m = new RegExp(`^${escapeRe(p)}([-_])(.+)([-_])(\\d+)$`).exec(bare);
    if (!m || m[1] !== m[3]) continue;
    const service = m[2] ?? '';
    if (!service) continue;
    return { service, number: Number(m[4]), naming: m[1] === '_' ? 'v1' : 'v2' };
  }
  return undefined;
}

export function namingOf(name: string, project: string, service: string): Naming {
  const bare = name.replace(/^\//, '');
  for (const p of projectVariants(project)) {
    if (new RegExp(`^${escapeRe(p)}_${escapeRe(service)}_\\d+$`).test(bare)) return 'v1';
    if (new RegExp(`^${escapeRe(p)}-${escapeRe(service)}-\\d+$`).test(bare)) return 'v2';
  }
  return 'other';
}

/**
 * The compose identity of a container of `project`, or undefined when it belongs to another project (or none).
 * Labels win: a container labelled for another project is never claimed by its name.
 */
export function composeIdentity(
  labels: Record<string, string> | undefined,
  names: readonly string[],
  project: string,
): ComposeIdentity | undefined {
  const l = labels ?? {};
  const name = (names[0] ?? '').replace(/^\//, '');
  const labelProject = l[LABEL_PROJECT];
  const labelService = l[LABEL_SERVICE];
  if (labelProject !== undefined || labelService !== undefined) {
    if (labelProject === undefined || labelService === undefined) return undefined;
    if (labelProject !== project && labelProject !== project.toLowerCase()) return undefined;
    const n = Number(l[LABEL_NUMBER]);
    return {
      project: labelProject,
      service: labelService,
      ...(Number.isFinite(n) && l[LABEL_NUMBER] !== undefined ? { number: n } : {}),
      identifiedBy: 'label',
      naming: namingOf(name, project, labelService),
      oneOff: /^true$/i.test(l[LABEL_ONEOFF] ?? ''),
    };
  }
  for (const n of names) {
    const parsed = parseComposeName(n, project);
    if (parsed) {
      return { project, service: parsed.service, number: parsed.number, identifiedBy: 'name', naming: parsed.naming, oneOff: false };
    }
  }
  return undefined;
}
