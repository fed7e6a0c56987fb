import type { SimCore } from '../core';
import { fail } from '../errors';
import type { ApiRegistry } from '../registry';
import { MEDIA_TYPES, type MediaType } from '../world/media';

/**
 * Size limits of temporary media (bytes). API-NOTES does not give them; these
 * are WeCom's published ones: image 10 MB (JPG/PNG), voice 2 MB (AMR), video
 * 10 MB (MP4), file 20 MB; every file must be larger than 5 bytes.
 */
export const MEDIA_LIMITS: Readonly<Record<MediaType, number>> = Object.freeze({
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
});
export const MEDIA_MIN_BYTES = 6;
/** media/uploadimg: JPG/PNG, 5 B–2 MB, a permanent URL. */
export const UPLOADIMG_MAX_BYTES = 2 * 1024 * 1024;

/**
 * media/upload and media/uploadimg (multipart/form-data, file in the field
 * `media`). Open to every app (not a customer-contact API). Errcodes: 40004
 * bad `type`, 41005 no `media` part, 40006 bad size, 40005 uploadimg not
 * JPG/PNG, 40009 uploadimg size. The bytes are not kept, only name and size.
 */
export function registerMediaApi(api: ApiRegistry, core: SimCore): void {
  api.add({
    path: 'media/upload', method: 'POST', multipart: true,
    emptyOnFailure: {},
    handle: ({ query, form, tooLarge }) => {
      const type = query.type as MediaType;
      if (!MEDIA_TYPES.includes(type)) return fail(40004, 'type must be image, voice, video or file');
      if (tooLarge) return fail(40006);
      const part = form?.find((p) => p.name === 'media' && p.filename !== undefined);
      if (!part) return fail(41005);
      if (part.data.length < MEDIA_MIN_BYTES || part.data.length > MEDIA_LIMITS[type]) return fail(40006, `${type} takes ${MEDIA_MIN_BYTES}–${MEDIA_LIMITS[type]} bytes`);
      const m = core.media.add({
        type, filename: part.filename!, contentType: part.contentType ?? 'application/octet-stream', size: part.data.length, created_at: core.nowSeconds(),
      });
      // WeCom sends created_at as a string.
      return { type, media_id: m.media_id, created_at: String(m.created_at) };
    },
  });

  api.add({
    path: 'media/uploadimg', method: 'POST', multipart: true,
    emptyOnFailure: {},
    handle: ({ form, tooLarge }) => {
      if (tooLarge) return fail(40009);
      const part = form?.find((p) => p.name === 'media' && p.filename !== undefined);
      if (!part) return fail(41005);
      if (!/\.(jpe?g|png)$/i.test(part.filename!)) return fail(40005, 'JPG or PNG only');
      if (part.data.length < MEDIA_MIN_BYTES || part.data.length > UPLOADIMG_MAX_BYTES) return fail(40009, `image takes ${MEDIA_MIN_BYTES}–${UPLOADIMG_MAX_BYTES} bytes`);
      const img = core.media.addImage({ filename: part.filename!, size: part.data.length, created_at: core.nowSeconds() });
      return { url: img.url };
    },
  });
}
