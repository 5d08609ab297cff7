/**
 * The life of one alert instance, as a pure function: (previous state, what this tick saw) → next state.
 *
 *   inactive ──cond──▶ pending ──held for `for`──▶ firing ──cond gone (after keep_firing_for)──▶ resolved
 *       ▲                 │ cond gone                 ▲                                            │
 *       └─────────────────┘                           └───────────────cond again───────────────────┘
 *
 * Check rules count instead of timing: `fail_after` failing runs in a row fire, `resolve_after` passing ones
 * resolve. An `unknown` observation (Prometheus down, runner error) changes nothing: no false resolves.
 * Flapping (Nagios' idea, simplified): `transitions` firing/resolved changes within `windowMs` mark the alert
 * flapping; it stays marked until no transition happened for a whole window.
 */
import type { AlertPhase, AlertState } from './types';

export interface FlapPolicy {
  /** Transitions (firing→resolved or back) within the window that make an alert flapping. */
  transitions: number;
  windowMs: number;
}

export const DEFAULT_FLAP: FlapPolicy = { transitions: 4, windowMs: 10 * 60_000 };

export type Condition =
  | { kind: 'timed'; active: boolean; forMs: number; keepFiringForMs: number; value?: number }
  | { kind: 'counted'; failing: boolean; failAfter: number; resolveAfter: number }
  | { kind: 'unknown' };

/** Advance one instance. Returns a new object; the input is not changed. */
export function advance(prev: AlertState, cond: Condition, now: number, flap: FlapPolicy = DEFAULT_FLAP): AlertState {
  if (cond.kind === 'unknown') return prev;
  const s: AlertState = { ...prev, lastEvalAt: now, transitions: [...prev.transitions] };
  const wasFiring = prev.phase === 'firing';
  if (cond.kind === 'timed') {
    if (cond.value !== undefined) s.value = cond.value;
    if (cond.active) {
      s.lastActiveAt = now;
      if (s.phase === 'inactive' || s.phase === 'resolved') {
        s.activeSince = now;
        s.phase = cond.forMs > 0 ? 'pending' : 'firing';
      } else if (s.phase === 'pending' && now - (s.activeSince ?? now) >= cond.forMs) {
        s.phase = 'firing';
      }
    } else if (s.phase === 'pending') {
      s.phase = 'inactive';
      delete s.activeSince;
    } else if (s.phase === 'firing' && now - (s.lastActiveAt ?? 0) >= cond.keepFiringForMs) {
      s.phase = 'resolved';
    }
  } else {
    s.fails = cond.failing ? prev.fails + 1 : 0;
    s.passes = cond.failing ? 0 : prev.passes + 1;
    if (cond.failing) {
      s.lastActiveAt = now;
      if (s.phase !== 'firing') {
        if (s.phase !== 'pending') s.activeSince = now;
        s.phase = s.fails >= cond.failAfter ? 'firing' : 'pending';
      }
    } else if (s.phase === 'pending') {
      s.phase = 'inactive';
      delete s.activeSince;
    } else if (s.phase === 'firing' && s.passes >= cond.resolveAfter) {
      s.phase = 'resolved';
    }
  }
  if (s.phase === 'firing' && !wasFiring) {
    s.firedAt = now;
    delete s.resolvedAt;
    s.transitions.push(now);
  } else if (s.phase === 'resolved' && wasFiring) {
    s.resolvedAt = now;
    delete s.activeSince;
    s.transitions.push(now);
  }
  s.transitions = s.transitions.filter((t) => now - t < flap.windowMs);
  if (s.transitions.length >= flap.transitions) s.flapping = true;
  else if (s.flapping && s.transitions.length === 0) s.flapping = false;
  return s;
}

/** A fresh, inactive instance. */
export function newState(init: Pick<AlertState, 'fingerprint' | 'rule' | 'env' | 'origin' | 'labels' | 'annotations' | 'severity'>, now: number): AlertState {
  return { ...init, phase: 'inactive', lastEvalAt: now, fails: 0, passes: 0, transitions: [], flapping: false };
}

/** Phases worth keeping in the store and listing in `/ws alerts`. */
export function isActive(phase: AlertPhase): boolean {
  return phase === 'pending' || phase === 'firing';
}
