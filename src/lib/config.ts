import { randomBytes } from 'node:crypto';
import cron from 'node-cron';
import { z } from 'zod';

/** Empty strings in the environment mean "not set". */
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const int = (dflt: number) => z.coerce.number().int().nonnegative().default(dflt);

const EnvSchema = z.object({
  PORT: int(3000),
  HOST: z.string().default('0.0.0.0'),
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
  WECOM_CALLBACK_MAX_SKEW_S: int(300),
  ADMIN_TOKEN: optional,
  SCHEDULE_TZ: z.string().default('Asia/Shanghai'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Env {
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
}

export class ConfigError extends Error {}

/** Parses the environment once; the result is frozen and passed down explicitly. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, demoCredentials?: DemoCredentials): Readonly<Config> {
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
  const d = demoCredentials ?? {
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
    demo,
    corpId: e.WECOM_CORP_ID ?? d.corpId,
    adminToken: e.ADMIN_TOKEN ?? randomBytes(18).toString('base64url'),
    callback: Object.freeze({
      token: e.WECOM_CALLBACK_TOKEN ?? d.callbackToken,
      aesKey: e.WECOM_CALLBACK_AES_KEY ?? d.callbackAesKey,
      maxSkewSeconds: e.WECOM_CALLBACK_MAX_SKEW_S,
    }),
  });
}
