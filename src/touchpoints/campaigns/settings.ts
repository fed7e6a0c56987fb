import type { Config } from '../../lib/config';
import { parseQuietHours, type QuietHours } from './schedule';
import type { OwnerRule } from './schema';

/** WeCom's per-recipient receive rule for mass messages (API-NOTES §5.3), as the corp admin set it. */
export type ReceiveRule = 'month_days' | 'week_7' | 'day_1';

/** Everything campaigns take from the configuration, parsed once. */
export interface CampaignSettings {
  /** Zone of cron expressions (for new campaigns), quiet hours and WeCom's receive periods. */
  timezone: string;
  /** ≤ frequencyCap pushes per customer per frequencyDays across all campaigns; 0 = off. */
  frequencyCap: number;
  frequencyDays: number;
  quietHours: QuietHours | null;
  ownerRule: OwnerRule;
  graceMs: number;
  receiveRule: ReceiveRule;
  remindAfterMs: number;
  confirmWindowMs: number;
  resultsPollMs: number;
  effectDays: number;
  /** Language of the rep-task app messages (LOCALE). */
  locale: Config['LOCALE'];
}

type CampaignConfig = Pick<Config,
  'SCHEDULE_TZ' | 'CAMPAIGN_FREQUENCY_CAP' | 'CAMPAIGN_FREQUENCY_DAYS' | 'CAMPAIGN_QUIET_HOURS' | 'CAMPAIGN_OWNER_RULE' | 'CAMPAIGN_CATCHUP_GRACE_H'
  | 'WECOM_MASS_RECEIVE_RULE' | 'CAMPAIGN_REMIND_AFTER_S' | 'CAMPAIGN_CONFIRM_WINDOW_H' | 'CAMPAIGN_RESULTS_POLL_S' | 'CAMPAIGN_EFFECT_DAYS' | 'LOCALE'>;

export function campaignSettings(c: CampaignConfig): CampaignSettings {
  return Object.freeze({
    timezone: c.SCHEDULE_TZ,
    frequencyCap: c.CAMPAIGN_FREQUENCY_CAP,
    frequencyDays: c.CAMPAIGN_FREQUENCY_DAYS,
    quietHours: parseQuietHours(c.CAMPAIGN_QUIET_HOURS),
    ownerRule: c.CAMPAIGN_OWNER_RULE,
    graceMs: c.CAMPAIGN_CATCHUP_GRACE_H * 3600_000,
    receiveRule: c.WECOM_MASS_RECEIVE_RULE,
    remindAfterMs: c.CAMPAIGN_REMIND_AFTER_S * 1000,
    confirmWindowMs: c.CAMPAIGN_CONFIRM_WINDOW_H * 3600_000,
    resultsPollMs: Math.max(1, c.CAMPAIGN_RESULTS_POLL_S) * 1000,
    effectDays: c.CAMPAIGN_EFFECT_DAYS,
    locale: c.LOCALE,
  });
}

/** WeCom's API maxima per add_msg_template call (§4.10). */
export const CUSTOMERS_PER_CALL = 10_000;
export const GROUPS_PER_CALL = 2000;
/** Customers listed in one rep-task app message (message/send text is cut at 2048 bytes). */
export const TASK_CUSTOMERS_PER_MESSAGE = 40;
