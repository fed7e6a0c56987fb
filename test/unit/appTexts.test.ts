import { APP_TEXT_MAX_BYTES, appTexts, type AppTexts } from '../../src/notify';

/** One call of every message kind, with the facts a caller would pass. */
const every = (t: AppTexts) => ({
  handoverDraft: t.handoverDraft({ leaver: '王芳', takeover: '李强', planId: 7, customers: 30, groups: 2, skipped: 1 }),
  handoverNothingToTransfer: t.handoverNothingToTransfer({ leaver: '王芳', takeover: '李强', planId: 7 }),
  handoverUnassigned: t.handoverUnassigned({ leaver: '王芳', planId: 7, customers: 30, groups: 0, cause: { kind: 'no_eligible_leader' } }),
  handoverTakeover: t.handoverTakeover({ from: '王芳', customers: 30, groups: 2, listed: ['张三', null] }),
  handoverSummary: t.handoverSummary({ from: '王芳', planId: 7, counts: [{ status: 'succeeded', n: 28 }, { status: 'refused', n: 2 }] }),
  repDeletedCustomer: t.repDeletedCustomer({ rep: '王芳', customer: '张三' }),
  employeeDeparted: t.employeeDeparted({ name: '王芳', customers: 30, groups: 2 }),
  followUpsDue: t.followUpsDue({ customers: 3, listed: ['张三', '李四'] }),
  warningDigest: t.warningDigest({ warnings: 2, listed: [{ customer: '张三', kind: 'entered_dormant' }] }),
  campaignTask: t.campaignTask({ campaign: '春季回访', campaignId: 4, customers: 2, listed: ['张三'], suggestion: { type: 'inline', text: '您好' } }),
});

describe('the app-message catalogue', () => {
  it('has every message in zh-CN and in English, each marked as from Lifelong', () => {
    const zh = every(appTexts('zh-CN'));
    const en = every(appTexts('en'));
    expect(Object.keys(zh)).toEqual(Object.keys(en));
    for (const [kind, text] of Object.entries(zh)) {
      expect([kind, text.startsWith('【Lifelong】')]).toEqual([kind, true]);
      expect([kind, en[kind as keyof typeof en].startsWith('[Lifelong] ')]).toEqual([kind, true]);
    }
  });

  it('reads as a rep expects it: counts, names and what to do', () => {
    const zh = every(appTexts('zh-CN'));
    expect(zh.handoverTakeover).toBe('【Lifelong】您已接手 30 位客户和 2 个客户群（原负责人：王芳）：张三、未命名客户，另有 28 位。请尽快与客户打个招呼。');
    expect(zh.handoverDraft).toBe('【Lifelong】王芳已离职，其 30 位客户和 2 个客户群已拟交接给李强（交接 #7），另有 1 项未通过预检。请在 Lifelong 中审核并确认。');
    expect(zh.handoverSummary).toBe('【Lifelong】王芳的交接 #7 已结束：成功 28 项，客户拒绝 2 项。');
    expect(zh.handoverUnassigned).toMatch(/王芳已离职，其 30 位客户待交接.+交接 #7.+指定接手人/);
    const en = every(appTexts('en'));
    expect(en.handoverTakeover).toBe('[Lifelong] You now look after 30 customers and 2 groups from 王芳: 张三, a customer and 28 more. Say hello soon.');
    expect(appTexts('en').employeeDeparted({ name: 'Wang', customers: 1, groups: 0 })).toBe('[Lifelong] Wang has left. 1 customer awaits handover in Lifelong.');
  });

  it("cuts a long message to WeCom's 2048 bytes without splitting a character", () => {
    const many = Array.from({ length: 40 }, (_, i) => `客户名字很长很长很长的第${i}位`);
    for (const locale of ['zh-CN', 'en'] as const) {
      const text = appTexts(locale).campaignTask({ campaign: '活动', campaignId: 1, customers: 40, listed: many, suggestion: { type: 'inline', text: '话'.repeat(2000) } });
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(APP_TEXT_MAX_BYTES);
      expect(Buffer.byteLength(text)).toBeGreaterThan(APP_TEXT_MAX_BYTES - 4);
      expect(text).not.toContain('\uFFFD');
    }
  });
});
