/**
 * The notification pipeline, in order. Adding a stage = one file + one line here.
 */
import { dedupStage } from './dedup';
import { dependencySuppressStage } from './dependency-suppress';
import { groupStage } from './group';
import { maintenanceStage } from './maintenance';
import { notifyStage } from './notify';
import { silenceStage } from './silence';
import type { PipelineContext, PipelineItem, Stage } from './types';

export const STAGES: readonly Stage[] = [
  groupStage,
  dependencySuppressStage,
  maintenanceStage,
  silenceStage,
  dedupStage,
  notifyStage,
];

/** Runs every stage in order; returns what was delivered. */
export async function runPipeline(items: PipelineItem[], ctx: PipelineContext, stages: readonly Stage[] = STAGES): Promise<PipelineItem[]> {
  let current = items;
  for (const stage of stages) current = await stage.run(current, ctx);
  return current;
}
