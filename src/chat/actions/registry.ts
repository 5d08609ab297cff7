/**
 * Every button ws-doctor puts on a message. Adding one = one file exporting an ActionSpec + one line here
 * (README.md in this folder).
 */
import { detailsAction } from './details';
import { rerunAction } from './rerun';
import { shareAction } from './share';
import type { AnyActionSpec } from './types';

export const actions: readonly AnyActionSpec[] = [rerunAction, detailsAction, shareAction];

export function findAction(id: string): AnyActionSpec | undefined {
  return actions.find((a) => a.id === id);
}
