import type { Executor } from '../../db/connection';
import type { Attachment, WeComClient } from '../../wecom/client';
import { invalid } from './failures';
import { mediaByIds, wecomMediaId } from './media';
import {
  ATTACHMENTS_MAX, LINK_DESC_MAX_BYTES, LINK_TITLE_MAX_BYTES, MINIPROGRAM_TITLE_MAX_BYTES, URL_MAX_BYTES, type TemplateAttachment,
} from './render';
import type { MediaKind } from './schema';

const bytes = (s: string) => Buffer.byteLength(s);
const HTTP_URL = /^https?:\/\/[^\s]+$/i;
/** Mini-program appids are `wx` + 16 hex digits. */
const APPID = /^wx[0-9a-f]{16}$/i;

function checkUrl(path: string, url: string): void {
  if (!HTTP_URL.test(url)) throw invalid(path, 'must be an http(s) URL');
  if (bytes(url) > URL_MAX_BYTES) throw invalid(path, `must be at most ${URL_MAX_BYTES} bytes`);
}

function checkText(path: string, text: string, max: number, required: boolean): void {
  if (required && text.trim() === '') throw invalid(path, 'must not be empty');
  if (bytes(text) > max) throw invalid(path, `must be at most ${max} bytes`);
}

/**
 * Checks attachments as WeCom would (§4.10: ≤9, per-type shapes and byte
 * limits) and that every media reference is a media row of this corp of the
 * right type. Errors name the field (`attachments.2.mediaRef`).
 */
export async function validateAttachments(ex: Executor, corpId: string, list: readonly TemplateAttachment[], max = ATTACHMENTS_MAX): Promise<void> {
  if (list.length > max) throw invalid('attachments', `at most ${max} attachment${max === 1 ? '' : 's'}`);
  const refs: Array<{ path: string; id: number; type: MediaKind }> = [];
  list.forEach((a, i) => {
    const at = `attachments.${i}`;
    switch (a.msgtype) {
      case 'image':
        if ((a.mediaRef === undefined) === (a.picUrl === undefined)) throw invalid(at, 'an image takes exactly one of mediaRef and picUrl');
        if (a.mediaRef !== undefined) refs.push({ path: `${at}.mediaRef`, id: a.mediaRef, type: 'image' });
        if (a.picUrl !== undefined) checkUrl(`${at}.picUrl`, a.picUrl);
        break;
      case 'link':
        checkText(`${at}.title`, a.title, LINK_TITLE_MAX_BYTES, true);
        checkUrl(`${at}.url`, a.url);
        if (a.picUrl !== undefined) checkUrl(`${at}.picUrl`, a.picUrl);
        if (a.desc !== undefined) checkText(`${at}.desc`, a.desc, LINK_DESC_MAX_BYTES, false);
        break;
      case 'miniprogram':
        checkText(`${at}.title`, a.title, MINIPROGRAM_TITLE_MAX_BYTES, true);
        if (!APPID.test(a.appid)) throw invalid(`${at}.appid`, 'must be a mini-program appid (wx + 16 hex digits)');
        checkText(`${at}.page`, a.page, URL_MAX_BYTES, true);
        refs.push({ path: `${at}.picMediaRef`, id: a.picMediaRef, type: 'image' });
        break;
      case 'video':
      case 'file':
        refs.push({ path: `${at}.mediaRef`, id: a.mediaRef, type: a.msgtype });
        break;
      default:
        throw invalid(`${at}.msgtype`, 'must be one of image, link, miniprogram, video, file');
    }
  });
  const found = await mediaByIds(ex, corpId, refs.map((r) => r.id));
  for (const r of refs) {
    const m = found.get(r.id);
    if (!m) throw invalid(r.path, `no media ${r.id}`);
    if (m.type !== r.type) throw invalid(r.path, `media ${r.id} is a ${m.type}, a ${r.type} is needed`);
  }
}

/** The media rows attachments reference. */
export function mediaRefsOf(list: readonly TemplateAttachment[]): number[] {
  return list.flatMap((a) => {
    if (a.msgtype === 'miniprogram') return [a.picMediaRef];
    if (a.msgtype === 'image') return a.mediaRef !== undefined ? [a.mediaRef] : [];
    if (a.msgtype === 'video' || a.msgtype === 'file') return [a.mediaRef];
    return [];
  });
}

/**
 * Our stored attachments as WeCom takes them: media references become
 * media_ids (uploaded when we have none younger than 2.5 days; cached in the
 * media row), links pass as they are.
 */
export async function wecomAttachments(
  ex: Executor,
  client: WeComClient,
  corpId: string,
  attachments: readonly TemplateAttachment[],
  now: Date,
): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const a of attachments) {
    switch (a.msgtype) {
      case 'image':
        out.push({ msgtype: 'image', image: a.mediaRef !== undefined ? { media_id: await wecomMediaId(ex, client, corpId, a.mediaRef, now) } : { pic_url: a.picUrl! } });
        break;
      case 'link':
        out.push({
          msgtype: 'link',
          link: { title: a.title, url: a.url, ...(a.picUrl ? { picurl: a.picUrl } : {}), ...(a.desc ? { desc: a.desc } : {}) },
        });
        break;
      case 'miniprogram':
        out.push({
          msgtype: 'miniprogram',
          miniprogram: { title: a.title, pic_media_id: await wecomMediaId(ex, client, corpId, a.picMediaRef, now), appid: a.appid, page: a.page },
        });
        break;
      case 'video':
        out.push({ msgtype: 'video', video: { media_id: await wecomMediaId(ex, client, corpId, a.mediaRef, now) } });
        break;
      case 'file':
        out.push({ msgtype: 'file', file: { media_id: await wecomMediaId(ex, client, corpId, a.mediaRef, now) } });
        break;
    }
  }
  return out;
}
