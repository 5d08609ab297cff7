/**
 * Every button ws-doctor puts on a message. Adding one = one file exporting an ActionSpec + one line here
 * (README.md in this folder).
 */
import { alertAckAction } from './alert-ack';
import { alertDiagnoseAction } from './alert-diagnose';
import { alertSilenceAction } from './alert-silence';
import { approveAction } from './approve';
import { denyAction } from './deny';
import { detailsAction } from './details';
import { remediateAction } from './remediate';
import { rerunAction } from './rerun';
import { shareAction } from './share';
import type { AnyActionSpec } from './types';

export const actions: readonly AnyActionSpec[] = [
  rerunAction,
  detailsAction,
  shareAction,
  approveAction,
  denyAction,
  remediateAction,
  alertAckAction,
  alertSilenceAction,
  alertDiagnoseAction,
];

export function findAction(id: string): AnyActionSpec | undefined {
  return actions.find((a) => a.id === id);
}
