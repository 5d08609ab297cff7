/** Every form ws-doctor can ask for (types.ts). Adding one = one file + one line here. */
import { silenceForm } from './silence-form';
import type { AnyFormSpec } from './types';

export const forms: readonly AnyFormSpec[] = [silenceForm];

export function findForm(id: string): AnyFormSpec | undefined {
  return forms.find((f) => f.id === id);
}
