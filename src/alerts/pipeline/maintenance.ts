/**
 * maintenance: during a maintenance window of the environment nothing is announced. Nothing is lost either:
 * what changed meanwhile is delivered when the window ends (the reconciliation compares with what was last
 * delivered), and an alert that was already firing when the window began — and still is — is not re-announced.
 */
import type { MaintenanceWindow } from '../types';
import { hold, type Stage } from './types';

export function activeWindow(windows: readonly MaintenanceWindow[], env: string, now: number): MaintenanceWindow | undefined {
  return windows.find((w) => w.env === env && w.startsAt <= now && now < w.endsAt);
}

export const maintenanceStage: Stage = {
  name: 'maintenance',
  async run(items, ctx) {
    const w = activeWindow(ctx.maintenance, ctx.env, ctx.now);
    if (!w) return items;
    return items.filter((item) => {
      if (item.alert.test) return true;
      if (item.alert.phase === 'firing' && item.alert.notified?.phase !== 'firing') hold(ctx, 'maintenance', item, `maintenance: ${w.reason}`);
      return false;
    });
  },
};
