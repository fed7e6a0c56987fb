import type { Config } from '../lib/config';

/**
 * Every app message Lifelong sends to employees, in one catalogue: zh-CN
 * first (what reps and managers read in WeCom), English as the LOCALE=en
 * variant. A message text can only be made here (`AppText` is branded), so
 * no caller writes one inline.
 */
export type Locale = Config['LOCALE'];

declare const appTextBrand: unique symbol;
/** The text of one app message, cut to what WeCom shows. */
export type AppText = string & { readonly [appTextBrand]: true };

/** WeCom cuts a text app message beyond 2048 bytes: cut it ourselves, on a character boundary. */
export const APP_TEXT_MAX_BYTES = 2048;

function fit(s: string): AppText {
  if (Buffer.byteLength(s) <= APP_TEXT_MAX_BYTES) return s as AppText;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > APP_TEXT_MAX_BYTES) break;
    bytes += n;
    out += ch;
  }
  return out as AppText;
}

/** Why an automatic handover draft has no takeover. */
export type UnassignedCause =
  | { kind: 'no_eligible_leader' }
  | { kind: 'default_takeover_unavailable'; takeover: string };

/** The churn warnings of archive/warnings.ts (a new kind must get its words here). */
export type ChurnWarningKind = 'entered_dormant' | 'key_account_decline' | 'removed_rep';

/** Final item states of a handover, as counted in the summary. */
export type HandoverOutcome = 'succeeded' | 'refused' | 'takeover_limit' | 'no_relation' | 'too_frequent' | 'failed' | 'expired' | 'skipped' | 'cancelled';

export type CampaignSuggestion = { type: 'inline'; text: string } | { type: 'template'; id: number; name: string; text: string };

export interface AppTexts {
  /** To the leaver's leaders: a draft awaits their confirmation. Counts are of the items that go ahead. */
  handoverDraft(p: { leaver: string; takeover: string; planId: number; customers: number; groups: number; skipped: number }): AppText;
  /** To the leaver's leaders: the automatic draft has a takeover but no item passed the preflight. */
  handoverNothingToTransfer(p: { leaver: string; takeover: string; planId: number }): AppText;
  /** To the leaders up the tree: nobody could be chosen to take the leaver's customers. */
  handoverUnassigned(p: { leaver: string; planId: number; customers: number; groups: number; cause: UnassignedCause }): AppText;
  /** To a takeover rep when a plan completes; `listed` are some of the customers' names (null: no name). */
  handoverTakeover(p: { from: string; customers: number; groups: number; listed: Array<string | null> }): AppText;
  /** To the managers when a plan completes. */
  handoverSummary(p: { from: string; planId: number; counts: Array<{ status: HandoverOutcome | string; n: number }> }): AppText;
  /** To the rep's leaders: the rep deleted a customer. */
  repDeletedCustomer(p: { rep: string; customer: string | null }): AppText;
  /** To the leaver's leaders: an employee left. */
  employeeDeparted(p: { name: string; customers: number; groups: number }): AppText;
  /** To a rep: follow-ups that came due; `listed` are some of the customers' names. */
  followUpsDue(p: { customers: number; listed: string[] }): AppText;
  /** To a rep: their daily churn-warning digest; `listed` are some of the warnings. */
  warningDigest(p: { warnings: number; listed: Array<{ customer: string; kind: ChurnWarningKind }> }): AppText;
  /** To a rep: a campaign's task; `listed` are some of the customers' names. */
  campaignTask(p: { campaign: string; campaignId: number; customers: number; listed: string[]; suggestion?: CampaignSuggestion }): AppText;
}

const zhItems = (customers: number, groups: number) =>
  [customers ? `${customers} 位客户` : '', groups ? `${groups} 个客户群` : ''].filter(Boolean).join('和 ');

const ZH_OUTCOME: Record<HandoverOutcome, string> = {
  succeeded: '成功', refused: '客户拒绝', takeover_limit: '接手人客户数已达上限', no_relation: '非原负责人的客户',
  too_frequent: '转接过于频繁', failed: '失败', expired: '超时未完成', skipped: '未通过预检', cancelled: '已取消',
};

const ZH_SUGGESTION: Record<ChurnWarningKind, string> = {
  entered_dormant: '已沉睡：建议发一条问候或专属优惠，约一次回访',
  key_account_decline: '重点客户消费下降：建议电话回访，了解需求变化',
  removed_rep: '客户已删除你：建议通过其他渠道联系，了解原因',
};

const zh: AppTexts = {
  handoverDraft: (p) => fit(`【Lifelong】${p.leaver}已离职，其 ${zhItems(p.customers, p.groups)}已拟交接给${p.takeover}（交接 #${p.planId}）`
    + `${p.skipped ? `，另有 ${p.skipped} 项未通过预检` : ''}。请在 Lifelong 中审核并确认。`),
  handoverNothingToTransfer: (p) => fit(`【Lifelong】${p.leaver}已离职，拟交接给${p.takeover}的交接 #${p.planId} 中，所有客户和客户群都未通过预检，没有可转接的内容。`
    + '请在 Lifelong 中查看原因，更换接手人或取消该交接。'),
  handoverUnassigned: (p) => {
    const cause = p.cause.kind === 'no_eligible_leader'
      ? '各级部门负责人中没有能接手客户的人（需在职并开通客户联系）'
      : `默认接手人 ${p.cause.takeover} 无法接手客户（需在职并开通客户联系）`;
    return fit(`【Lifelong】${p.leaver}已离职，其 ${zhItems(p.customers, p.groups)}待交接，但${cause}。`
      + `已生成交接 #${p.planId}（暂无接手人），请在 Lifelong 中指定接手人后确认。`);
  },
  handoverTakeover: (p) => {
    const names = p.listed.map((n) => n || '未命名客户').join('、');
    const rest = p.customers - p.listed.length;
    const list = names ? `：${names}${rest > 0 ? `，另有 ${rest} 位` : ''}` : '';
    return fit(`【Lifelong】您已接手 ${zhItems(p.customers, p.groups)}（原负责人：${p.from}）${list}。请尽快与客户打个招呼。`);
  },
  handoverSummary: (p) => {
    const summary = p.counts.map((c) => `${ZH_OUTCOME[c.status as HandoverOutcome] ?? c.status} ${c.n} 项`).join('，');
    return fit(`【Lifelong】${p.from}的交接 #${p.planId} 已结束：${summary || '没有任何项'}。`);
  },
  repDeletedCustomer: (p) => fit(`【Lifelong】${p.rep}删除了客户${p.customer || '（未命名）'}。客户档案仍保留，请在 Lifelong 中查看该客户关系。`),
  employeeDeparted: (p) => fit(p.customers || p.groups
    ? `【Lifelong】${p.name}已离职，其 ${zhItems(p.customers, p.groups)}待交接，请在 Lifelong 中处理。`
    : `【Lifelong】${p.name}已离职，没有待交接的客户或客户群。`),
  followUpsDue: (p) => {
    const rest = p.customers - p.listed.length;
    return fit([`【Lifelong】有 ${p.customers} 位客户到了跟进时间：`, ...p.listed.map((n) => `- ${n}`), ...(rest > 0 ? [`……另有 ${rest} 位`] : [])].join('\n'));
  },
  warningDigest: (p) => {
    const rest = p.warnings - p.listed.length;
    return fit([
      `【Lifelong】客户流失预警（${p.warnings} 条）`,
      ...p.listed.map((w) => `· ${w.customer}：${ZH_SUGGESTION[w.kind]}`),
      ...(rest > 0 ? [`……另有 ${rest} 条，请在 Lifelong 中查看`] : []),
    ].join('\n'));
  },
  campaignTask: (p) => {
    const rest = p.customers - p.listed.length;
    const s = p.suggestion;
    return fit([
      `【Lifelong】营销活动「${p.campaign}」：请联系以下 ${p.customers} 位客户。`,
      ...p.listed.map((n, i) => `${i + 1}. ${n}`),
      ...(rest > 0 ? [`……另有 ${rest} 位，请在 Lifelong 中查看活动 #${p.campaignId}。`] : []),
      ...(s ? ['', s.type === 'inline' ? `建议话术：\n${s.text}` : `建议使用模板 #${s.id}「${s.name}」：\n${s.text}`] : []),
    ].join('\n'));
  },
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const enItems = (customers: number, groups: number) =>
  [customers ? plural(customers, 'customer') : '', groups ? plural(groups, 'group') : ''].filter(Boolean).join(' and ');

const enAwait = (customers: number, groups: number) => (customers + groups === 1 ? 'awaits' : 'await');

const EN_SUGGESTION: Record<ChurnWarningKind, string> = {
  entered_dormant: 'gone dormant: send a greeting or a personal offer and arrange a call',
  key_account_decline: 'key account spending less: call to learn what has changed',
  removed_rep: 'removed you: reach them another way and ask why',
};

const en: AppTexts = {
  handoverDraft: (p) => fit(`[Lifelong] ${p.leaver} has left. A handover of their ${enItems(p.customers, p.groups)} to ${p.takeover} is drafted as #${p.planId}`
    + `${p.skipped ? ` (${p.skipped} more failed the preflight)` : ''}: please review and confirm it in Lifelong.`),
  handoverNothingToTransfer: (p) => fit(`[Lifelong] ${p.leaver} has left. Handover #${p.planId} to ${p.takeover} has nothing to transfer: every customer and group failed the preflight. `
    + 'See the reasons in Lifelong, then change the takeover or cancel it.'),
  handoverUnassigned: (p) => {
    const cause = p.cause.kind === 'no_eligible_leader'
      ? 'no department leader up the tree can take customers (active, with customer contact enabled)'
      : `the default takeover ${p.cause.takeover} cannot take customers (active, with customer contact enabled)`;
    return fit(`[Lifelong] ${p.leaver} has left and their ${enItems(p.customers, p.groups)} ${enAwait(p.customers, p.groups)} handover, but ${cause}. `
      + `Handover #${p.planId} is drafted without a takeover: please choose one in Lifelong, then confirm it.`);
  },
  handoverTakeover: (p) => {
    const names = p.listed.map((n) => n || 'a customer').join(', ');
    const rest = p.customers - p.listed.length;
    const list = names ? `: ${names}${rest > 0 ? ` and ${rest} more` : ''}` : '';
    return fit(`[Lifelong] You now look after ${enItems(p.customers, p.groups)} from ${p.from}${list}. Say hello soon.`);
  },
  handoverSummary: (p) => {
    const summary = p.counts.map((c) => `${c.n} ${c.status.replace(/_/g, ' ')}`).join(', ');
    return fit(`[Lifelong] Handover #${p.planId} of ${p.from}'s customers and groups is finished: ${summary || 'no items'}.`);
  },
  repDeletedCustomer: (p) => fit(`[Lifelong] ${p.rep} deleted customer ${p.customer || '(no name)'}. The customer's archive is kept; review the relationship in Lifelong.`),
  employeeDeparted: (p) => fit(p.customers || p.groups
    ? `[Lifelong] ${p.name} has left. ${enItems(p.customers, p.groups)} ${enAwait(p.customers, p.groups)} handover in Lifelong.`
    : `[Lifelong] ${p.name} has left. No customers or groups await handover.`),
  followUpsDue: (p) => {
    const rest = p.customers - p.listed.length;
    return fit([`[Lifelong] Follow-ups due with ${plural(p.customers, 'customer')}:`, ...p.listed.map((n) => `- ${n}`), ...(rest > 0 ? [`… and ${rest} more`] : [])].join('\n'));
  },
  warningDigest: (p) => {
    const rest = p.warnings - p.listed.length;
    return fit([
      `[Lifelong] Churn warnings (${p.warnings})`,
      ...p.listed.map((w) => `· ${w.customer}: ${EN_SUGGESTION[w.kind]}`),
      ...(rest > 0 ? [`… and ${rest} more: see Lifelong`] : []),
    ].join('\n'));
  },
  campaignTask: (p) => {
    const rest = p.customers - p.listed.length;
    const s = p.suggestion;
    return fit([
      `[Lifelong] Campaign "${p.campaign}": please contact ${plural(p.customers, 'customer')}.`,
      ...p.listed.map((n, i) => `${i + 1}. ${n}`),
      ...(rest > 0 ? [`… and ${rest} more: see campaign #${p.campaignId} in Lifelong.`] : []),
      ...(s ? ['', s.type === 'inline' ? `Suggested message:\n${s.text}` : `Suggested template #${s.id} "${s.name}":\n${s.text}`] : []),
    ].join('\n'));
  },
};

const CATALOGUE: Record<Locale, AppTexts> = { 'zh-CN': zh, en };

/** The app-message texts in one language (LOCALE). */
export function appTexts(locale: Locale): AppTexts {
  return CATALOGUE[locale];
}
