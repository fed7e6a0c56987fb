import { read, write, type CursorPage, type WeComCaller } from '../types';

/** 「联系我」 contact ways (API-NOTES §4.12). API writes emit no callback. */
const ADD_CONTACT_WAY = write('externalcontact/add_contact_way');
const GET_CONTACT_WAY = read('POST', 'externalcontact/get_contact_way');
const LIST_CONTACT_WAY = read('POST', 'externalcontact/list_contact_way');
const UPDATE_CONTACT_WAY = write('externalcontact/update_contact_way');
const DEL_CONTACT_WAY = write('externalcontact/del_contact_way');

export const CONTACT_WAY_LIST_MAX = 1000;

export interface ContactWayRequest {
  /** 1 single member, 2 multiple members. */
  type: 1 | 2;
  /** 1 mini-program button, 2 QR code. */
  scene: 1 | 2;
  style?: number;
  /** ≤30 chars. */
  remark?: string;
  /** Default true: the customer's request is accepted without confirmation. */
  skip_verify?: boolean;
  /** ≤30 chars; comes back in add_external_contact and follow_user[].state. */
  state?: string;
  /** Type 1: exactly one; ≤100 members in all. */
  user?: string[];
  party?: number[];
  is_exclusive?: boolean;
  is_temp?: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  conclusions?: Record<string, unknown>;
}

export interface ContactWayResult {
  /** Keep it: API-created ways are invisible in the admin console. */
  config_id: string;
  /** Scene 2 only. */
  qr_code?: string;
}

/** A contact way as get_contact_way returns it. */
export interface ContactWay extends ContactWayRequest {
  config_id: string;
  qr_code?: string;
}

export interface ListContactWaysRequest {
  /** Unix seconds; default 90 days ago. */
  start_time?: number;
  /** Unix seconds; default now. */
  end_time?: number;
  cursor?: string;
  /** ≤1000, default 100. */
  limit?: number;
}

export type UpdateContactWayRequest = { config_id: string } & Partial<ContactWayRequest>;

export function contactWaysApi(c: WeComCaller) {
  return {
    async add(req: ContactWayRequest): Promise<ContactWayResult> {
      const res = await c.call<ContactWayResult>(ADD_CONTACT_WAY, req);
      return { config_id: res.config_id, ...(res.qr_code ? { qr_code: res.qr_code } : {}) };
    },

    /** 41044 when the config_id is unknown or deleted. */
    async get(configId: string): Promise<ContactWay> {
      const res = await c.call<{ contact_way?: ContactWay }>(GET_CONTACT_WAY, { config_id: configId });
      return res.contact_way ?? ({ config_id: configId } as ContactWay);
    },

    /** One page of the config_ids of API-created (non-temporary) ways. */
    async list(req: ListContactWaysRequest = {}): Promise<CursorPage<{ config_id: string }>> {
      const body = {
        ...(req.start_time !== undefined ? { start_time: req.start_time } : {}),
        ...(req.end_time !== undefined ? { end_time: req.end_time } : {}),
        cursor: req.cursor ?? '',
        limit: Math.min(Math.max(req.limit ?? 100, 1), CONTACT_WAY_LIST_MAX),
      };
      const res = await c.call<{ contact_way?: Array<{ config_id: string }>; next_cursor?: string }>(LIST_CONTACT_WAY, body);
      return { items: res.contact_way ?? [], nextCursor: res.next_cursor ?? '' };
    },

    /** `user`, `party` and `remark` replace the old values; type and scene cannot change. */
    async update(req: UpdateContactWayRequest): Promise<void> {
      const { type: _type, scene: _scene, ...rest } = req;
      await c.call(UPDATE_CONTACT_WAY, rest);
    },

    async del(configId: string): Promise<void> {
      await c.call(DEL_CONTACT_WAY, { config_id: configId });
    },
  };
}

export type ContactWaysApi = ReturnType<typeof contactWaysApi>;
