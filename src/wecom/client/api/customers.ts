import { errcodeOf } from '../errors';
import { read, write, type CursorPage, type ExternalContact, type FollowInfo, type FollowUser, type WeComCaller } from '../types';
import { followCursor } from './paging';

/** Customers (external contacts) and their relations to employees (API-NOTES §4.1–4.5). */
const GET_FOLLOW_USER_LIST = read('GET', 'externalcontact/get_follow_user_list');
const LIST = read('GET', 'externalcontact/list');
const GET = read('GET', 'externalcontact/get');
const BATCH_GET_BY_USER = read('POST', 'externalcontact/batch/get_by_user');
const REMARK = write('externalcontact/remark');

export const BATCH_USERIDS_MAX = 100;
export const BATCH_LIMIT_MAX = 100;

/** A customer with every follow user (all follow_user pages joined). */
export interface CustomerDetail {
  external_contact: ExternalContact;
  follow_user: FollowUser[];
}

/** One relation (customer, one of the requested employees) from batch/get_by_user. */
export interface CustomerRelation {
  external_contact: ExternalContact;
  follow_info: FollowInfo;
}

export interface BatchGetByUserRequest {
  /** 1–100 employees. */
  userid_list: string[];
  cursor?: string;
  /** Default 50, clamped to 100. */
  limit?: number;
}

export interface BatchGetByUserPage extends CursorPage<CustomerRelation> {
  /** Requested employees without an interop licence (their customers are missing). */
  unlicensedUserids: string[];
}

export interface RemarkRequest {
  userid: string;
  external_userid: string;
  /** ≤20 chars. */
  remark?: string;
  /** ≤150 chars. */
  description?: string;
  /** ≤20 chars; WeChat customers only. */
  remark_company?: string;
  /** Replaces the previous list. */
  remark_mobiles?: string[];
  remark_pic_mediaid?: string;
}

export function customersApi(c: WeComCaller) {
  async function batchGetByUser(req: BatchGetByUserRequest): Promise<BatchGetByUserPage> {
    if (req.userid_list.length === 0 || req.userid_list.length > BATCH_USERIDS_MAX) {
      throw new RangeError(`batch/get_by_user takes 1–${BATCH_USERIDS_MAX} userids, got ${req.userid_list.length}`);
    }
    const res = await c.call<{
      external_contact_list?: CustomerRelation[];
      next_cursor?: string;
      fail_info?: { unlicensed_userid_list?: string[] };
    }>(BATCH_GET_BY_USER, {
      userid_list: req.userid_list,
      cursor: req.cursor ?? '',
      limit: Math.min(Math.max(req.limit ?? BATCH_LIMIT_MAX, 1), BATCH_LIMIT_MAX),
    });
    return {
      items: res.external_contact_list ?? [],
      nextCursor: res.next_cursor ?? '',
      unlicensedUserids: res.fail_info?.unlicensed_userid_list ?? [],
    };
  }

  return {
    /** Employees with customer contact enabled, inside the app's visible range. */
    async listFollowUsers(): Promise<string[]> {
      const res = await c.call<{ follow_user?: string[] }>(GET_FOLLOW_USER_LIST);
      return res.follow_user ?? [];
    },

    /** All external_userids of one employee. WeCom answers 84061 for an employee with none: that is []. */
    async list(userid: string): Promise<string[]> {
      try {
        const res = await c.call<{ external_userid?: string[] }>(LIST, { userid });
        return res.external_userid ?? [];
      } catch (err) {
        if (errcodeOf(err) === 84061) return [];
        throw err;
      }
    },

    /** One customer with all follow users: follow_user is paged (500 a page) and read to the end here. */
    async get(externalUserid: string): Promise<CustomerDetail> {
      let detail: CustomerDetail | undefined;
      for await (const page of followCursor((cursor) => getPage(c, externalUserid, cursor))) {
        if (!detail) detail = { external_contact: page.contact, follow_user: [] };
        detail.follow_user.push(...page.items);
      }
      // followCursor yields at least once, so detail is set.
      return detail as CustomerDetail;
    },

    batchGetByUser,

    /**
     * Every relation of the given employees, page by page; more than 100
     * userids are split into batches of 100. A customer followed by two
     * of them appears once per relation.
     */
    async *iterateByUser(userids: string[], limit = BATCH_LIMIT_MAX): AsyncGenerator<BatchGetByUserPage> {
      for (let i = 0; i < userids.length; i += BATCH_USERIDS_MAX) {
        const batch = userids.slice(i, i + BATCH_USERIDS_MAX);
        yield* followCursor((cursor) => batchGetByUser({ userid_list: batch, cursor, limit }));
      }
    },

    /** Sets an employee's remark fields on a customer. A write: not retried by the client. */
    async remark(req: RemarkRequest): Promise<void> {
      await c.call(REMARK, req);
    },
  };
}

export type CustomersApi = ReturnType<typeof customersApi>;

async function getPage(
  c: WeComCaller,
  externalUserid: string,
  cursor: string,
): Promise<CursorPage<FollowUser> & { contact: ExternalContact }> {
  const res = await c.call<{ external_contact: ExternalContact; follow_user?: FollowUser[]; next_cursor?: string }>(GET, {
    external_userid: externalUserid,
    ...(cursor ? { cursor } : {}),
  });
  return { contact: res.external_contact, items: res.follow_user ?? [], nextCursor: res.next_cursor ?? '' };
}
