import { randomBytes } from 'node:crypto';
import cron from 'node-cron';
import { z } from 'zod';

/** Empty strings in the environment mean "not set". */
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const int = (dflt: number) => z.coerce.number().int().nonnegative().default(dflt);

const EnvSchema = z.object({
  PORT: int(3000),
  /** Interface to listen on: 127.0.0.1 in demo mode (its token is printed), 0.0.0.0 otherwise, unless set. */
  HOST: optional,
  DATABASE_URL: optional,
  DATA_DIR: z.string().default('./data'),
  WECOM_CORP_ID: optional,
  WECOM_CALLBACK_TOKEN: optional,
  WECOM_CALLBACK_AES_KEY: optional.refine((v) => v === undefined || /^[a-zA-Z0-9]{43}$/.test(v), {
    message: 'must be exactly 43 letters or digits (the EncodingAESKey from the WeCom console)',
  }),
  WECOM_CONTACT_SECRET: optional,
  WECOM_AGENT_ID: optional,
  WECOM_AGENT_SECRET: optional,
  WECOM_API_BASE: z.string().url().default('https://qyapi.weixin.qq.com'),
  /** WeCom web login (the console's sign-in page); demo mode points it at the simulator. */
  WECOM_LOGIN_BASE: z.string().url().default('https://login.work.weixin.qq.com'),
  /** WeCom OAuth2 inside the WeCom app (the sidebar's sign-in); demo mode points it at the simulator. */
  WECOM_OAUTH_BASE: z.string().url().default('https://open.weixin.qq.com'),
  /** This service's public origin (https://scrm.example.com), for WeCom's redirect_uri; unset = the request's own origin. */
  PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** Comma-separated userids who are admins until an admin sets their role otherwise. */
  LIFELONG_ADMINS: z.string().default(''),
  /** A signed-in session unused this many minutes ends. */
  SESSION_IDLE_MIN: int(8 * 60),
  /** A signed-in session ends this many hours after sign-in. */
  SESSION_MAX_H: int(7 * 24),
  WECOM_CALLBACK_MAX_SKEW_S: int(300),
  ADMIN_TOKEN: optional,
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it answers only on the loopback. */
  METRICS_TOKEN: optional,
  SCHEDULE_TZ: z.string().default('Asia/Shanghai'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Language of the app messages employees get (handover notices, alerts, digests, reminders). */
  LOCALE: z.enum(['zh-CN', 'en']).default('zh-CN'),
  /** Failed attempts after which an inbound event is parked for a human. */
  EVENT_MAX_ATTEMPTS: int(8),
  /** Takeover for the draft plan made when a rep leaves: 'leader' (their department leader) or a userid. */
  HANDOVER_DEFAULT_TAKEOVER: z.string().default('leader'),
  /** Confirm those automatic drafts without waiting for a manager. */
  HANDOVER_AUTO_CONFIRM: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** WeCom's per-rep customer cap (its value is not published; 40099 when reached). */
  HANDOVER_CUSTOMER_CAP: int(50_000),
  /** Seconds between transfer_result polls. */
  HANDOVER_POLL_S: int(300),
  /** Nightly recompute of RFM scores, stages, warnings and auto-tags; empty disables it. */
  ARCHIVE_CRON: z.string().default('30 2 * * *').refine((v) => v === '' || cron.validate(v), { message: 'is not a valid cron expression' }),
  /** When reps get their daily churn-warning digest; empty disables it. */
  WARNING_DIGEST_CRON: z.string().default('0 9 * * *').refine((v) => v === '' || cron.validate(v), { message: 'is not a valid cron expression' }),
  /** Cron expression of the periodic full sync that heals missed callbacks; empty disables it. */
  SYNC_CRON: z.string().default('0 3 * * *').refine((v) => v === '' || cron.validate(v), { message: 'is not a valid cron expression' }),
  /** Campaigns: at most this many pushes per customer per CAMPAIGN_FREQUENCY_DAYS, across all campaigns (0 = no cap). */
  CAMPAIGN_FREQUENCY_CAP: int(2),
  CAMPAIGN_FREQUENCY_DAYS: int(7),
  /** No campaign work between these local times (SCHEDULE_TZ); it is deferred to the end, not dropped. Empty = none. */
  CAMPAIGN_QUIET_HOURS: z.string().default('22:00-08:00').refine((v) => v.trim() === '' || /^\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}$/.test(v.trim()), { message: 'must look like 22:00-08:00' }),
  /** Default rule choosing the one owner who sends to a customer with several: recent_added | earliest_added | recent_interaction. */
  CAMPAIGN_OWNER_RULE: z.enum(['recent_added', 'earliest_added', 'recent_interaction']).default('recent_added'),
  /** Occurrences missed by downtime are caught up within this many hours, older ones recorded as missed. */
  CAMPAIGN_CATCHUP_GRACE_H: int(6),
  /** WeCom's mass-message receive rule set by the corp admin (群发助手 → 设置群发规则): days-in-month per month, 7 per week, 1 per day. */
  WECOM_MASS_RECEIVE_RULE: z.enum(['month_days', 'week_7', 'day_1']).default('month_days'),
  /** Remind reps who have not confirmed a push after this many seconds (≤3 reminders per 24 h, WeCom's limit). */
  CAMPAIGN_REMIND_AFTER_S: int(4 * 3600),
  /** After this many hours an unconfirmed push is cancelled in WeCom and its recipients recorded as unsent. */
  CAMPAIGN_CONFIRM_WINDOW_H: int(72),
  /** Seconds between polls of a waiting push's results. */
  CAMPAIGN_RESULTS_POLL_S: int(300),
  /** Campaign effect: orders and replies within this many days of a send. */
  CAMPAIGN_EFFECT_DAYS: int(7),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Omit<Env, 'HOST'> {
  HOST: string;
  /** No WECOM_CORP_ID: run against the built-in simulator with demo data. */
  demo: boolean;
  corpId: string;
  adminToken: string;
  callback: { token: string; aesKey: string; maxSkewSeconds: number };
}

/** What demo mode talks to (the built-in simulator); without it, random values and no WeCom behind them. */
export interface DemoCredentials {
  corpId: string;
  callbackToken: string;
  callbackAesKey: string;
  contactSecret?: string;
  agentSecret?: string;
  agentId?: number;
  /** A bootstrap admin token kept with the demo's data (so it survives restarts); random when absent. */
  adminToken?: string;
}

export class ConfigError extends Error {}

/**
 * Parses the environment once; the result is frozen and passed down explicitly.
 * `demoCredentials` may be a function of the parsed environment (demo mode keeps
 * its secrets in DATA_DIR); it is only called in demo mode.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  demoCredentials?: DemoCredentials | ((env: Env) => DemoCredentials),
): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const demo = !e.WECOM_CORP_ID;
  if (!demo) {
    const missing = ['WECOM_CALLBACK_TOKEN', 'WECOM_CALLBACK_AES_KEY'].filter((k) => !e[k as keyof Env]);
    if (missing.length) throw new ConfigError(`invalid configuration: ${missing.join(', ')} required with WECOM_CORP_ID`);
    if (!e.ADMIN_TOKEN) throw new ConfigError('invalid configuration: ADMIN_TOKEN is required with WECOM_CORP_ID');
  }
  const given = demo && typeof demoCredentials === 'function' ? demoCredentials(e) : typeof demoCredentials === 'object' ? demoCredentials : undefined;
  const d = given ?? {
    corpId: 'wwdemo00000000nowecom',
    callbackToken: randomBytes(12).toString('hex'),
    callbackAesKey: randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'x'),
  };
  return Object.freeze({
    ...e,
    ...(demo
      ? {
          WECOM_CONTACT_SECRET: e.WECOM_CONTACT_SECRET ?? d.contactSecret,
          WECOM_AGENT_SECRET: e.WECOM_AGENT_SECRET ?? d.agentSecret,
          WECOM_AGENT_ID: e.WECOM_AGENT_ID ?? (d.agentId === undefined ? undefined : String(d.agentId)),
        }
      : {}),
    HOST: e.HOST ?? (demo ? '127.0.0.1' : '0.0.0.0'),
    demo,
    corpId: e.WECOM_CORP_ID ?? d.corpId,
    adminToken: e.ADMIN_TOKEN ?? d.adminToken ?? randomBytes(18).toString('base64url'),
    callback: Object.freeze({
      token: e.WECOM_CALLBACK_TOKEN ?? d.callbackToken,
      aesKey: e.WECOM_CALLBACK_AES_KEY ?? d.callbackAesKey,
      maxSkewSeconds: e.WECOM_CALLBACK_MAX_SKEW_S,
    }),
  });
}
