import { upload, type MultipartInput, type WeComCaller } from '../types';

/**
 * Media uploads: temporary media (media/upload, a media_id valid 3 days, for
 * mass-message, welcome and group-welcome attachments) and permanent images
 * (media/uploadimg, a URL for image `pic_url` / link `picurl`).
 * Both are multipart/form-data with the file in the field `media`.
 */
// Repeating a temporary upload only yields another 3-day copy: safe to retry.
const MEDIA_UPLOAD = upload('media/upload', true);
// Permanent images count against a monthly quota (3000/month, 1000/day): not retried blindly.
const MEDIA_UPLOADIMG = upload('media/uploadimg', false);

export type MediaType = 'image' | 'voice' | 'video' | 'file';

export interface UploadedMedia {
  /** Valid 3 days from `created_at`. */
  media_id: string;
  /** Unix seconds. */
  created_at: number;
}

/** Sizes WeCom accepts (bytes); larger uploads are refused by the platform, so refuse them before the call. */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaType, number>> = Object.freeze({
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
});
export const UPLOADIMG_MAX_BYTES = 2 * 1024 * 1024;
/** Every upload must be larger than 5 bytes. */
export const MEDIA_MIN_BYTES = 6;

function form(filename: string, data: Buffer, contentType: string): FormData {
  const f = new FormData();
  f.append('media', new Blob([data], { type: contentType }), filename);
  return f;
}

function checkSize(what: string, data: Buffer, max: number): void {
  if (data.length < MEDIA_MIN_BYTES || data.length > max) {
    throw new RangeError(`${what} takes ${MEDIA_MIN_BYTES}–${max} bytes, got ${data.length}`);
  }
}

export function mediaApi(c: WeComCaller) {
  return {
    /** Uploads a temporary media file; its media_id is valid for 3 days. */
    async upload(type: MediaType, filename: string, data: Buffer, contentType = 'application/octet-stream'): Promise<UploadedMedia> {
      checkSize(`media/upload (${type})`, data, MEDIA_MAX_BYTES[type]);
      const input: MultipartInput = { query: { type }, form: form(filename, data, contentType) };
      const res = await c.call<{ type?: string; media_id?: string; created_at?: number | string }>(MEDIA_UPLOAD, input);
      // WeCom documents created_at as a string of unix seconds.
      return { media_id: res.media_id ?? '', created_at: Number(res.created_at ?? 0) };
    },

    /** Uploads a permanent image (JPG/PNG, ≤2 MB) and returns its URL. */
    async uploadImage(filename: string, data: Buffer): Promise<{ url: string }> {
      checkSize('media/uploadimg', data, UPLOADIMG_MAX_BYTES);
      const contentType = /\.png$/i.test(filename) ? 'image/png' : 'image/jpeg';
      const res = await c.call<{ url?: string }>(MEDIA_UPLOADIMG, { form: form(filename, data, contentType) } satisfies MultipartInput);
      return { url: res.url ?? '' };
    },
  };
}

export type MediaApi = ReturnType<typeof mediaApi>;
