import { read, write, type WeComCaller } from '../types';

/** The corp tag library and tagging of relations (API-NOTES §4.6). */
const GET_CORP_TAG_LIST = read('POST', 'externalcontact/get_corp_tag_list');
const ADD_CORP_TAG = write('externalcontact/add_corp_tag');
const EDIT_CORP_TAG = write('externalcontact/edit_corp_tag');
const DEL_CORP_TAG = write('externalcontact/del_corp_tag');
const MARK_TAG = write('externalcontact/mark_tag');

export interface CorpTag {
  id: string;
  name: string;
  create_time: number;
  /** Bigger sorts first. */
  order: number;
  /** Only when queried by id: lets you detect deleted ids. */
  deleted?: boolean;
}

export interface CorpTagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  deleted?: boolean;
  tag: CorpTag[];
}

export interface AddCorpTagRequest {
  /** Add into this group … */
  group_id?: string;
  /** … or create (or reuse) the group of this name (≤30 chars). */
  group_name?: string;
  order?: number;
  tag: Array<{ name: string; order?: number }>;
  agentid?: number;
}

export interface MarkTagRequest {
  userid: string;
  external_userid: string;
  add_tag?: string[];
  remove_tag?: string[];
}

export function tagsApi(c: WeComCaller) {
  return {
    /** The tag library, or the groups/tags named (group_id wins over tag_id when both are given). */
    async list(filter: { tag_id?: string[]; group_id?: string[] } = {}): Promise<CorpTagGroup[]> {
      const res = await c.call<{ tag_group?: CorpTagGroup[] }>(GET_CORP_TAG_LIST, filter);
      return res.tag_group ?? [];
    },

    async add(req: AddCorpTagRequest): Promise<CorpTagGroup> {
      const res = await c.call<{ tag_group: CorpTagGroup }>(ADD_CORP_TAG, req);
      return res.tag_group;
    },

    /** Renames or reorders a tag or a group (`id` may be either). */
    async edit(req: { id: string; name?: string; order?: number }): Promise<void> {
      await c.call(EDIT_CORP_TAG, req);
    },

    async del(req: { tag_id?: string[]; group_id?: string[] }): Promise<void> {
      if (!req.tag_id?.length && !req.group_id?.length) throw new RangeError('del_corp_tag needs tag_id or group_id');
      await c.call(DEL_CORP_TAG, req);
    },

    /** Adds/removes corp tags on one (employee, customer) relation. */
    async mark(req: MarkTagRequest): Promise<void> {
      if (!req.add_tag?.length && !req.remove_tag?.length) throw new RangeError('mark_tag needs add_tag or remove_tag');
      await c.call(MARK_TAG, req);
    },
  };
}

export type TagsApi = ReturnType<typeof tagsApi>;
