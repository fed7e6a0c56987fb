import type { SimCore } from '../core';
import { fail } from '../errors';

/** Attachment kinds of welcome and mass messages (API-NOTES §4.10). */
export const ATTACHMENT_TYPES: ReadonlySet<string> = new Set(['image', 'link', 'miniprogram', 'video', 'file']);
export const ATTACHMENTS_MAX = 9;

const bytes = (s: string) => Buffer.byteLength(s);

/** `text.content` as a string (or undefined); 45002 above `maxBytes`. */
export function checkText(text: unknown, maxBytes: number): string | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text !== 'object') return fail(40058, 'text must be an object');
  const content = (text as { content?: unknown }).content;
  if (content === undefined || content === null) return undefined;
  if (typeof content !== 'string') return fail(40058, 'text.content must be a string');
  if (bytes(content) > maxBytes) return fail(45002, `text.content exceeds ${maxBytes} bytes`);
  return content;
}

const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);

/** A referenced media_id must have been uploaded and not have expired (3 days): else 40007. */
export function checkMediaId(core: SimCore, mediaId: string | undefined, field: string): void {
  if (mediaId === undefined) return fail(40058, `${field} is required`);
  if (core.settings.validateMediaIds && !core.media.valid(mediaId, core.nowSeconds())) fail(40007, field);
}

/**
 * One attachment payload by kind: image (media_id or pic_url), link (title ≤128 B,
 * url/picurl ≤2048 B, desc ≤512 B), miniprogram (title ≤64 B, pic_media_id, appid, page),
 * video / file (media_id).
 */
export function checkAttachmentPayload(core: SimCore, kind: string, payload: unknown, at: string): void {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return fail(40058, `${at}: payload must match msgtype`);
  const p = payload as Record<string, unknown>;
  switch (kind) {
    case 'image': {
      const mediaId = str(p, 'media_id');
      if (mediaId) return checkMediaId(core, mediaId, `${at}.media_id`);
      if (!str(p, 'pic_url')) return fail(40058, `${at}: image needs media_id or pic_url`);
      return;
    }
    case 'link': {
      const title = str(p, 'title');
      const url = str(p, 'url');
      if (!title || !url) return fail(40058, `${at}: link needs title and url`);
      if (bytes(title) > 128 || bytes(url) > 2048 || bytes(str(p, 'picurl') ?? '') > 2048 || bytes(str(p, 'desc') ?? '') > 512) {
        return fail(45002, `${at}: link field too long`);
      }
      return;
    }
    case 'miniprogram': {
      const title = str(p, 'title');
      if (!title || !str(p, 'appid') || !str(p, 'page')) return fail(40058, `${at}: miniprogram needs title, appid, page and pic_media_id`);
      if (bytes(title) > 64) return fail(45002, `${at}: miniprogram title exceeds 64 bytes`);
      return checkMediaId(core, str(p, 'pic_media_id'), `${at}.pic_media_id`);
    }
    case 'video':
    case 'file':
      return checkMediaId(core, str(p, 'media_id'), `${at}.media_id`);
    default:
      return fail(41065, at);
  }
}

/** `attachments` of welcome and mass messages: ≤9, known msgtype (41065), payload matching msgtype, valid media ids. */
export function checkAttachments(core: SimCore, attachments: unknown): Array<Record<string, unknown>> {
  if (attachments === undefined || attachments === null) return [];
  if (!Array.isArray(attachments)) return fail(40058, 'attachments must be a list');
  if (attachments.length > ATTACHMENTS_MAX) return fail(40058, `at most ${ATTACHMENTS_MAX} attachments`);
  attachments.forEach((a: unknown, i) => {
    const at = `attachments[${i}]`;
    if (!a || typeof a !== 'object') return fail(40058, at);
    const t = (a as Record<string, unknown>).msgtype;
    if (typeof t !== 'string' || !ATTACHMENT_TYPES.has(t)) return fail(41065, `${at}.msgtype`);
    checkAttachmentPayload(core, t, (a as Record<string, unknown>)[t], at);
  });
  return attachments as Array<Record<string, unknown>>;
}
