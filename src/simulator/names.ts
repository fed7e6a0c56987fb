import type { Rng } from './random';

/**
 * Generated names only: random combinations of common surnames and given-name
 * characters (or made-up nicknames), never a list of real people.
 */
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split('');
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建文宇浩然子涵欣怡思远雨轩梓睿晨曦佳琪俊逸嘉懿煜城懿轩烨华煜祺智宸正豪昊然明杰立诚立轩立辉峻熙弘文熠彤鸿煊烨霖哲瀚鑫鹏致远俊驰雨泽烨磊晟睿天佑文昊修洁黎昕远航旭尧鸿涛伟祺荣轩越泽浩宇瑾瑜皓轩擎苍擎宇志泽子轩睿渊弘文哲瀚雨泽楷瑞建辉致远俊驰'.split('');
const NICK_A = ['Sunny', 'Leo', 'Momo', 'Coco', 'Echo', 'Ivy', 'Kiki', 'Max', 'Nana', 'Toby', 'Yoyo', 'Zoe', 'Aki', 'Bobo', 'Dudu', 'Lulu'];
const NICK_B = ['', '🌸', '_', '.', '~', '·小', '-', ''];
const COMPANY_A = ['华', '盛', '通', '达', '恒', '宏', '信', '瑞', '鑫', '嘉', '博', '远', '安', '泰', '新', '联', '创', '汇', '金', '海'];
const COMPANY_B = ['贸易', '科技', '商贸', '实业', '电子', '食品', '家居', '文化', '物流', '医疗'];
const CITY = ['上海', '杭州', '苏州', '广州', '深圳', '成都', '武汉', '南京', '宁波', '厦门'];
const POSITIONS = ['客户经理', '销售顾问', '高级销售', '售后专员', '区域经理', '门店店长', '客服专员', '大客户经理'];
const BUYER_POSITIONS = ['采购', '店长', '经理', '负责人', '老板', '行政'];
const DEPT_A = ['华东', '华南', '华北', '西南', '华中', '线上', '直营', '渠道', '大客户', '零售', '会员', '门店'];
const DEPT_B = ['销售部', '事业部', '服务部', '运营组', '一组', '二组', '三组', '中心'];

export function personName(rng: Rng): string {
  const given = rng.chance(0.6) ? rng.pick(GIVEN) + rng.pick(GIVEN) : rng.pick(GIVEN);
  return rng.pick(SURNAMES) + given;
}

/** A WeChat nickname: a generated Chinese name or a made-up nickname. */
export function nickname(rng: Rng): string {
  if (rng.chance(0.65)) return personName(rng);
  return `${rng.pick(NICK_A)}${rng.pick(NICK_B)}${rng.chance(0.3) ? rng.int(1, 99) : ''}`;
}

export function companyShort(rng: Rng): string {
  return rng.pick(COMPANY_A) + rng.pick(COMPANY_A) + rng.pick(COMPANY_B);
}

export function companyFull(rng: Rng, short: string): string {
  return `${rng.pick(CITY)}${short}有限公司`;
}

export const repPosition = (rng: Rng) => rng.pick(POSITIONS);
export const buyerPosition = (rng: Rng) => rng.pick(BUYER_POSITIONS);
export const departmentName = (rng: Rng) => rng.pick(DEPT_A) + rng.pick(DEPT_B);

const REMARK_SUFFIX = ['先生', '女士', '总', '老师', '姐', '哥'];
const DESCRIPTIONS = ['老客户，偏好线上下单', '展会认识', '对新品感兴趣', '价格敏感', '季度采购', '转介绍客户', '需要回访', ''];
const NOTICES = ['欢迎加入，群内定期发布新品与活动信息', '请勿发广告，谢谢配合', '本群为售后服务群，有问题请@客服', ''];
const GROUP_TOPICS = ['会员福利群', '新品体验群', 'VIP客户群', '售后服务群', '团购群', '门店活动群', '老客户交流群'];

export function remarkFor(rng: Rng, customerName: string): string {
  if (rng.chance(0.35)) return '';
  const base = [...customerName][0] ?? '';
  return `${base}${rng.pick(REMARK_SUFFIX)}${rng.chance(0.3) ? `-${rng.pick(BUYER_POSITIONS)}` : ''}`;
}

export const descriptionFor = (rng: Rng) => rng.pick(DESCRIPTIONS);
export const groupNotice = (rng: Rng) => rng.pick(NOTICES);
export const groupName = (rng: Rng, n: number) => `${rng.pick(CITY)}${rng.pick(GROUP_TOPICS)}${n}`;

export function mobile(rng: Rng): string {
  return `1${rng.pick(['3', '5', '7', '8', '9'])}${rng.digits(9)}`;
}

/** Tag library themes: group name → candidate tag names. */
export const TAG_THEMES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['客户等级', ['VIP', '重要', '普通', '潜在', '沉睡']],
  ['意向', ['高意向', '中意向', '低意向', '已成交', '已流失']],
  ['来源', ['展会', '线上广告', '转介绍', '门店', '直播', '公众号']],
  ['行业', ['零售', '餐饮', '教育', '医疗', '制造', '互联网', '金融']],
  ['兴趣', ['新品', '促销', '会员活动', '售后', '定制']],
  ['年龄段', ['18-25', '26-35', '36-45', '46+']],
  ['城市', ['上海', '杭州', '苏州', '广州', '深圳', '成都']],
  ['购买频次', ['月度', '季度', '年度', '偶尔']],
];

export const CHANNEL_STATES = ['expo2024_booth3', 'wx_ads_spring', 'store_sh01', 'live_0618', 'mp_article', 'referral'];
