/**
 * Campaigns: segment pushes, group posts and rep tasks; schedules (once or
 * cron in a time zone), occurrences claimed once, set-based planning with
 * caps and quiet hours, an exactly-once dispatch outbox, results, reminders
 * and stats. Its only public surface.
 */
export * from './schema';
export { campaignSettings, CUSTOMERS_PER_CALL, GROUPS_PER_CALL, type CampaignSettings, type ReceiveRule } from './settings';
export { type Audience, type Content, type ScheduleInput, type CampaignInput } from './definition';
export {
  createCampaign, updateCampaign, getCampaign, listCampaigns, scheduleCampaign, pauseCampaign, resumeCampaign, cancelCampaign, deleteCampaign,
  type CampaignRow, type CampaignPatch, type CampaignFilter,
} from './campaigns';
export { materialiseOccurrences } from './occurrences';
export { planNextRun, campaignRunsQueue, previewCampaign, type CampaignPreview, type PreviewRow, type RunSummary } from './planRun';
export { dispatchNextBatch, campaignDispatchQueue, renderForSender, type DispatchDeps } from './dispatchBatch';
export { findSentTask, LOOKUP_SKEW_MS, type UnsureBatch } from './findSentTask';
export { pollResultsOnce, campaignResultsQueue, MAX_POLL_FAILURES, POLL_BACKOFF_CAP_S, type PollDeps } from './pollResults';
export { remindUnconfirmed, REMINDERS_PER_DAY, type RemindDeps } from './remindSenders';
export { listRuns, listDeliveries, campaignStats, touchpointsOf, type RunRow, type DeliveryView, type CampaignStats, type TouchpointItem } from './queries';
export {
  cronOccurrences, occurrencesBetween, decideOccurrences, quietUntil, parseQuietHours, localParts, zonedInstant, cronProblem,
  type ScheduleSpec, type QuietHours, type OccurrenceFate,
} from './schedule';
