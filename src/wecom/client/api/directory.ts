import { read, type CursorPage, type WeComCaller } from '../types';
import { followCursor } from './paging';

/** Employees and departments (API-NOTES §4.16). All reads. */
const USER_LIST_ID = read('POST', 'user/list_id');
const USER_GET = read('GET', 'user/get');
const DEPARTMENT_LIST = read('GET', 'department/list');

export interface DeptUser {
  userid: string;
  department: number;
}

export interface User {
  userid: string;
  name: string;
  department?: number[];
  order?: number[];
  position?: string;
  mobile?: string;
  /** '1' male, '2' female (a string here). */
  gender?: string;
  email?: string;
  biz_mail?: string;
  is_leader_in_dept?: number[];
  direct_leader?: string[];
  avatar?: string;
  thumb_avatar?: string;
  telephone?: string;
  alias?: string;
  address?: string;
  open_userid?: string;
  main_department?: number;
  extattr?: { attrs?: Array<Record<string, unknown>> };
  /** 1 activated, 2 disabled, 4 not activated, 5 left the corp. */
  status?: number;
  qr_code?: string;
  external_position?: string;
  external_profile?: Record<string, unknown>;
}

export interface Department {
  id: number;
  name: string;
  name_en?: string;
  department_leader?: string[];
  parentid: number;
  order?: number;
}

export const USER_LIST_ID_MAX = 10_000;

export function directoryApi(c: WeComCaller) {
  /** One page of (userid, department) rows, one row per membership; limit 1–10000. */
  async function listUserIds(req: { cursor?: string; limit?: number } = {}): Promise<CursorPage<DeptUser>> {
    const limit = Math.min(Math.max(req.limit ?? USER_LIST_ID_MAX, 1), USER_LIST_ID_MAX);
    const res = await c.call<{ dept_user?: DeptUser[]; next_cursor?: string }>(USER_LIST_ID, { cursor: req.cursor ?? '', limit });
    return { items: res.dept_user ?? [], nextCursor: res.next_cursor ?? '' };
  }

  return {
    listUserIds,

    /** Every page of user/list_id, following the cursor to the end. */
    iterateUserIds: (limit = USER_LIST_ID_MAX): AsyncGenerator<CursorPage<DeptUser>> =>
      followCursor((cursor) => listUserIds({ cursor, limit })),

    /** Employee detail; 60111 unknown user, 60011 outside the visible range. */
    getUser: (userid: string): Promise<User> => c.call<User>(USER_GET, { userid }),

    /** The subtree under `id` (the whole visible tree when omitted). */
    async listDepartments(id?: number): Promise<Department[]> {
      const res = await c.call<{ department?: Department[] }>(DEPARTMENT_LIST, id === undefined ? {} : { id });
      return res.department ?? [];
    },
  };
}

export type DirectoryApi = ReturnType<typeof directoryApi>;
