/**
 * dependency-suppress: an alert whose incident's root is another alert is a symptom. It is held back from
 * speaking (no card of its own, no thread notes): the cause's card lists it instead. Like Alertmanager's
 * inhibition, but the inhibited alert stays visible where it belongs.
 */
import { hold, type Stage } from './types';

export const dependencySuppressStage: Stage = {
  name: 'dependency-suppress',
  async run(items, ctx) {
    return items.map((item) => {
      if (!item.rootFingerprint || item.rootFingerprint === item.alert.fingerprint) return item;
      if (item.alert.phase === 'firing') hold(ctx, 'dependency-suppress', item, `symptom of ${item.cause?.title ?? item.incidentTitle ?? 'its cause'}`);
      return { ...item, quiet: true };
    });
  },
};
