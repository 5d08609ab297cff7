/** The evaluation job on node-cron: exact patterns for intervals cron can express, no overlapping runs. */
import { cronFor, scheduleEvaluation } from '../../src/alerts/schedule';

test('intervals map onto cron patterns exactly, or are refused with the reason', () => {
  expect(cronFor(15_000)).toBe('*/15 * * * * *');
  expect(cronFor(1000)).toBe('*/1 * * * * *');
  expect(cronFor(60_000)).toBe('0 * * * * *');
  expect(cronFor(300_000)).toBe('0 */5 * * * *');
  expect(() => cronFor(7000)).toThrow(/cannot be scheduled exactly: use seconds dividing 60/);
});

test('a run slower than the interval is not stacked: one at a time', async () => {
  let running = 0;
  let maxRunning = 0;
  let starts = 0;
  const job = scheduleEvaluation('alerts:test', 1000, async () => {
    starts++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setTimeout(r, 2500));
    running--;
  });
  await new Promise((r) => setTimeout(r, 4600));
  await job.stop();
  expect(starts).toBeGreaterThanOrEqual(1);
  expect(starts).toBeLessThanOrEqual(2);
  expect(maxRunning).toBe(1);
  expect(job.pattern).toBe('*/1 * * * * *');
}, 15_000);
