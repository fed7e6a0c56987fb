import { write, type WeComCaller } from '../types';

/** 「联系我」 contact ways (API-NOTES §4.12). */
const ADD_CONTACT_WAY = write('externalcontact/add_contact_way');

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

export function contactWaysApi(c: WeComCaller) {
  return {
    async add(req: ContactWayRequest): Promise<ContactWayResult> {
      const res = await c.call<ContactWayResult>(ADD_CONTACT_WAY, req);
      return { config_id: res.config_id, ...(res.qr_code ? { qr_code: res.qr_code } : {}) };
    },
  };
}

export type ContactWaysApi = ReturnType<typeof contactWaysApi>;
