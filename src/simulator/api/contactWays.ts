import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { charLength, optionalInt, optionalString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { ContactWay } from '../world/state';
import { checkAttachmentPayload, checkText } from './content';

const DAY = 86400;
const TEXT_MAX = 30;
const MEMBERS_MAX = 100;
const TEMP_EXPIRES_DEFAULT = 7 * DAY;
const TEMP_EXPIRES_MAX = 14 * DAY;
const CHAT_EXPIRES_DEFAULT = DAY;
const CONCLUSION_KINDS = ['image', 'link', 'miniprogram'] as const;

/**
 * 「联系我」 contact ways (API-NOTES §4.12, §5.5). API writes emit no callback;
 * customers come in through the world action `customerAddsRepViaWay`.
 * Stand-ins where WeCom's code is not documented: 40058 for type 1 without
 * exactly one user / with party, for type 2 without members, for remark/state
 * over 30 chars and for temp-way rule breaks; 60111 unknown or departed user,
 * 84074 user without customer contact, 60123 unknown department.
 */
export function registerContactWaysApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  const bool = (v: unknown, field: string): boolean | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return fail(40058, `${field} must be a boolean`);
    return v;
  };
  const shortText = (v: unknown, field: string): string | undefined => {
    const s = optionalString(v, field);
    if (s !== undefined && charLength(s) > TEXT_MAX) return fail(40058, `${field} exceeds ${TEXT_MAX} characters`);
    return s;
  };
  const partyList = (v: unknown): number[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x))) return fail(40058, 'party must be a list of department ids');
    return v as number[];
  };

  /** Users must exist (60111), be activated (41054) and have customer contact (84074); ≤100 members with departments expanded (41041). */
  const checkMembers = (type: 1 | 2, users: string[], party: number[], isTemp: boolean) => {
    if (type === 1 && (users.length !== 1 || party.length > 0)) return fail(40058, 'type 1 takes exactly one user and no party');
    if (type === 2 && users.length + party.length === 0) return fail(40058, 'user or party is required');
    if (isTemp && type !== 1) return fail(40058, 'temporary ways take a single member');
    for (const u of users) {
      const e = world.activeEmployee(u);
      if (!e) return fail(60111, u);
      if (e.status !== 1) return fail(41054, u);
      if (!e.customerContact) return fail(84074, u);
    }
    for (const d of party) if (!world.departments.has(d)) return fail(60123, String(d));
    const expanded = new Set(users);
    if (party.length > 0) {
      const parties = new Set(party);
      for (const e of world.followUsers()) if (e.department.some((d) => parties.has(d))) expanded.add(e.userid);
    }
    if (expanded.size > MEMBERS_MAX) return fail(41041);
  };

  const checkStyle = (v: unknown): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return fail(41042);
    return v;
  };

  const checkSeconds = (v: unknown, field: string, max: number): number | undefined => {
    const n = optionalInt(v, field);
    if (n !== undefined && (n <= 0 || n > max)) return fail(40058, `${field} must be 1–${max} seconds`);
    return n;
  };

  /** Closing messages: text ≤4000 bytes plus at most one of image / link / miniprogram. */
  const checkConclusions = (v: unknown): Record<string, unknown> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return fail(40058, 'conclusions must be an object');
    const c = v as Record<string, unknown>;
    checkText(c.text, 4000);
    const kinds = CONCLUSION_KINDS.filter((k) => c[k] !== undefined);
    if (kinds.length > 1) return fail(40058, 'conclusions take one of image, link, miniprogram');
    for (const k of kinds) checkAttachmentPayload(core, k, c[k], `conclusions.${k}`);
    return structuredClone(c);
  };

  const wayFor = (body: Record<string, unknown>): ContactWay => {
    const id = body.config_id;
    if (id === undefined || id === null || id === '') return fail(41043);
    if (typeof id !== 'string') return fail(41044);
    return world.liveContactWay(id) ?? fail(41044);
  };

  const expired = (w: ContactWay) => w.is_temp && w.create_time + (w.expires_in ?? TEMP_EXPIRES_DEFAULT) <= core.nowSeconds();

  /** get_contact_way's view: conclusion images come back as pic_url. */
  const view = (w: ContactWay) => {
    const conclusions = w.conclusions ? structuredClone(w.conclusions) : undefined;
    const image = conclusions?.image as { media_id?: string; pic_url?: string } | undefined;
    if (image?.media_id) conclusions!.image = { pic_url: core.media.picUrl(image.media_id) };
    return {
      config_id: w.config_id, type: w.type, scene: w.scene, ...(w.style !== undefined ? { style: w.style } : {}),
      remark: w.remark, skip_verify: w.skip_verify, state: w.state, ...(w.qr_code ? { qr_code: w.qr_code } : {}),
      user: [...w.user], party: [...w.party], is_temp: w.is_temp,
      ...(w.is_temp ? { expires_in: w.expires_in ?? TEMP_EXPIRES_DEFAULT, chat_expires_in: w.chat_expires_in ?? CHAT_EXPIRES_DEFAULT } : {}),
      ...(w.unionid ? { unionid: w.unionid } : {}),
      is_exclusive: w.is_exclusive, ...(conclusions ? { conclusions } : {}),
    };
  };

  api.add({
    path: 'externalcontact/add_contact_way', method: 'POST', contact: true, ids: idsFrom.body('user'),
    emptyOnFailure: { config_id: '' },
    handle: ({ body }) => {
      if (body.type === undefined || body.type === null) return fail(41037);
      if (body.type !== 1 && body.type !== 2) return fail(41039);
      if (body.scene === undefined || body.scene === null) return fail(41038);
      if (body.scene !== 1 && body.scene !== 2) return fail(41040);
      const type = body.type;
      const scene = body.scene;
      const style = checkStyle(body.style);
      const remark = shortText(body.remark, 'remark') ?? '';
      const state = shortText(body.state, 'state') ?? '';
      const isTemp = bool(body.is_temp, 'is_temp') ?? false;
      const users = [...new Set(stringList(body.user, 'user'))];
      const party = [...new Set(partyList(body.party))];
      checkMembers(type, users, party, isTemp);
      const expiresIn = checkSeconds(body.expires_in, 'expires_in', TEMP_EXPIRES_MAX);
      const chatExpiresIn = checkSeconds(body.chat_expires_in, 'chat_expires_in', TEMP_EXPIRES_MAX);
      const unionid = optionalString(body.unionid, 'unionid');
      const conclusions = checkConclusions(body.conclusions);
      // The 500k cap counts API-created contact and join ways; temporary ways don't count.
      if (!isTemp && world.apiWayCount() >= core.settings.contactWayLimit) return fail(41045);
      let configId = core.rng.hex(32);
      while (world.contactWays.has(configId)) configId = core.rng.hex(32);
      const w = world.addContactWay({
        config_id: configId, type, scene, ...(style !== undefined && scene === 1 ? { style } : {}), remark,
        skip_verify: bool(body.skip_verify, 'skip_verify') ?? true, state,
        ...(scene === 2 ? { qr_code: `https://wework.qpic.cn/wwpic/${core.rng.digits(6)}_${core.rng.chars(22)}_${core.nowSeconds()}/0` } : {}),
        user: users, party, is_exclusive: bool(body.is_exclusive, 'is_exclusive') ?? false, is_temp: isTemp,
        ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}),
        ...(chatExpiresIn !== undefined ? { chat_expires_in: chatExpiresIn } : {}),
        ...(unionid ? { unionid } : {}), ...(conclusions ? { conclusions } : {}),
        create_time: core.nowSeconds(), deleted: false, nextMember: 0, adds: [],
      });
      return { config_id: w.config_id, ...(w.qr_code ? { qr_code: w.qr_code } : {}) };
    },
  });

  api.add({
    path: 'externalcontact/get_contact_way', method: 'POST', contact: true, ids: idsFrom.body('config_id'),
    emptyOnFailure: {},
    handle: ({ body }) => ({ contact_way: view(wayFor(body)) }),
  });

  api.add({
    path: 'externalcontact/list_contact_way', method: 'POST', contact: true,
    emptyOnFailure: { contact_way: [], next_cursor: '' },
    handle: ({ body }) => {
      const now = core.nowSeconds();
      const start = optionalInt(body.start_time, 'start_time') ?? now - 90 * DAY;
      const end = optionalInt(body.end_time, 'end_time') ?? now;
      if (end < start) return fail(40058, 'end_time is before start_time');
      const rawLimit = optionalInt(body.limit, 'limit');
      const limit = rawLimit === undefined || rawLimit <= 0 ? 100 : Math.min(rawLimit, 1000);
      const from = decodeCursor<{ o: number }>('externalcontact/list_contact_way', body.cursor, { o: 'number' })?.o ?? 0;
      // Positions are in creation order over all ways (deleted ones stay in place), so pages survive deletions.
      const all = [...world.contactWays.values()];
      const page: Array<{ config_id: string }> = [];
      let i = from;
      for (; i < all.length && page.length < limit; i += 1) {
        const w = all[i]!;
        if (!w.deleted && !w.is_temp && w.create_time >= start && w.create_time <= end) page.push({ config_id: w.config_id });
      }
      let more = false;
      for (let j = i; j < all.length; j += 1) {
        const w = all[j]!;
        if (!w.deleted && !w.is_temp && w.create_time >= start && w.create_time <= end) { more = true; break; }
      }
      return { contact_way: page, next_cursor: more ? encodeCursor('externalcontact/list_contact_way', { o: i }) : '' };
    },
  });

  api.add({
    path: 'externalcontact/update_contact_way', method: 'POST', contact: true, ids: idsFrom.body('config_id'),
    emptyOnFailure: {},
    handle: ({ body }) => {
      const w = wayFor(body);
      if (expired(w)) return fail(40058, 'an expired temporary way cannot be edited');
      const style = checkStyle(body.style);
      const remark = shortText(body.remark, 'remark');
      const state = shortText(body.state, 'state');
      const skipVerify = bool(body.skip_verify, 'skip_verify');
      const isExclusive = bool(body.is_exclusive, 'is_exclusive');
      // user / party / remark replace the old values.
      const users = body.user !== undefined ? [...new Set(stringList(body.user, 'user'))] : w.user;
      const party = body.party !== undefined ? [...new Set(partyList(body.party))] : w.party;
      if (body.user !== undefined || body.party !== undefined) checkMembers(w.type, users, party, w.is_temp);
      const expiresIn = checkSeconds(body.expires_in, 'expires_in', TEMP_EXPIRES_MAX);
      const chatExpiresIn = checkSeconds(body.chat_expires_in, 'chat_expires_in', TEMP_EXPIRES_MAX);
      const unionid = optionalString(body.unionid, 'unionid');
      const conclusions = checkConclusions(body.conclusions);
      w.user = users;
      w.party = party;
      if (w.nextMember >= users.length + party.length) w.nextMember = 0;
      if (remark !== undefined) w.remark = remark;
      if (state !== undefined) w.state = state;
      if (style !== undefined && w.scene === 1) w.style = style;
      if (skipVerify !== undefined) w.skip_verify = skipVerify;
      if (isExclusive !== undefined) w.is_exclusive = isExclusive;
      if (expiresIn !== undefined) w.expires_in = expiresIn;
      if (chatExpiresIn !== undefined) w.chat_expires_in = chatExpiresIn;
      if (unionid !== undefined) w.unionid = unionid;
      if (conclusions !== undefined) w.conclusions = conclusions;
      return {};
    },
  });

  api.add({
    path: 'externalcontact/del_contact_way', method: 'POST', contact: true, ids: idsFrom.body('config_id'),
    emptyOnFailure: {},
    handle: ({ body }) => {
      world.deleteContactWay(wayFor(body));
      return {};
    },
  });
}
