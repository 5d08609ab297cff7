/**
 * Every button ws-doctor puts on a message. Adding one = one file exporting an ActionSpec + one line here
 * (README.md in this folder).
 */
import { alertAckAction } from './alert-ack';
import { alertDiagnoseAction } from './alert-diagnose';
import { alertSilenceAction } from './alert-silence';
import { detailsAction } from './details';
import { rerunAction } from './rerun';
import { shareAction } from './share';
import type { AnyActionSpec } from './types';

export const actions: readonly AnyActionSpec[] = [rerunAction, detailsAction, shareAction, alertAckAction, alertSilenceAction, alertDiagnoseAction];

export function findAction(id: string): AnyActionSpec | undefined {
  return actions.find((a) => a.id === id);
}
