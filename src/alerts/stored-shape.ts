/**
 * What a row read back from the state store must look like before the alerts core trusts it. The store keeps
 * plain JSON that anyone with the file (or the Redis) can edit, and an older or newer ws-doctor may have written
 * it: a row of the wrong shape is left out (and reported once), never allowed to take a whole tick down.
 * Only the fields the evaluator and pipeline read without a guard are checked.
 */
import type { AlertState, Incident, MaintenanceWindow, Silence } from './types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const strMap = (v: unknown): boolean => isObj(v) && Object.values(v).every((x) => typeof x === 'string');
const PHASES = new Set(['inactive', 'pending', 'firing', 'resolved']);

/** Why `v` is not an AlertState, or undefined when it is one. */
export function alertStateProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  if (!str(v.fingerprint) || !str(v.rule) || !str(v.env)) return 'fingerprint, rule or env missing';
  if (!PHASES.has(v.phase as string)) return `phase ${JSON.stringify(v.phase)}`;
  if (!strMap(v.labels) || !strMap(v.annotations)) return 'labels or annotations not a string map';
  if (!num(v.lastEvalAt) || !num(v.fails) || !num(v.passes)) return 'counters missing';
  if (!Array.isArray(v.transitions) || !v.transitions.every(num)) return 'transitions not a list of times';
  if (typeof v.flapping !== 'boolean') return 'flapping not a boolean';
  return undefined;
}

export function incidentProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  if (!str(v.key) || !str(v.env) || typeof v.title !== 'string') return 'key, env or title missing';
  if (!Array.isArray(v.members) || !v.members.every(str)) return 'members not a list of fingerprints';
  if (!num(v.openedAt)) return 'openedAt missing';
  if (v.card !== undefined && !(isObj(v.card) && str(v.card.channel) && str(v.card.ts))) return 'card not a channel + ts';
  return undefined;
}

export function silenceProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  if (!str(v.id) || !str(v.env) || !strMap(v.matchers)) return 'id, env or matchers missing';
  if (!num(v.startsAt) || !num(v.endsAt)) return 'startsAt/endsAt missing';
  return undefined;
}

export function maintenanceProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  if (!str(v.id) || !str(v.env) || !num(v.startsAt) || !num(v.endsAt)) return 'id, env, startsAt or endsAt missing';
  return undefined;
}


