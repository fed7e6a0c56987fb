import { createHash } from 'node:crypto';
import { and, eq, getTableColumns } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import { notFound } from '../../lib/errors';
import type { WeComClient } from '../../wecom/client';
import { invalid } from './failures';
import { media, type MediaKind } from './schema';

const { data: _data, ...metaColumns } = getTableColumns(media);
/** A media row without its bytes. */
export type MediaMeta = Omit<typeof media.$inferSelect, 'data'>;

/** What WeCom's media/upload takes per type (§4.10); every upload must be larger than 5 bytes. */
export const MEDIA_LIMITS: Readonly<Record<MediaKind, { maxBytes: number; contentTypes?: readonly string[] }>> = Object.freeze({
  image: { maxBytes: 10 * 1024 * 1024, contentTypes: ['image/jpeg', 'image/png'] },
  video: { maxBytes: 10 * 1024 * 1024, contentTypes: ['video/mp4'] },
  file: { maxBytes: 20 * 1024 * 1024 },
});
export const MEDIA_MIN_BYTES = 6;
export const MEDIA_MAX_BYTES = Math.max(...Object.values(MEDIA_LIMITS).map((l) => l.maxBytes));
/** A media_id is valid 3 days; we upload again when ours is older than this. */
export const MEDIA_ID_REUSE_MS = 2.5 * 86_400_000;

export interface MediaInput {
  filename: string;
  contentType: string;
  data: Buffer;
  /** Default: image for JPG/PNG, video for MP4, else file. */
  type?: MediaKind;
}

function kindOf(contentType: string): MediaKind {
  const ct = contentType.toLowerCase();
  if (MEDIA_LIMITS.image.contentTypes!.includes(ct)) return 'image';
  if (MEDIA_LIMITS.video.contentTypes!.includes(ct)) return 'video';
  return 'file';
}

/** Stores an uploaded file; validated against what WeCom will take for its type. */
export async function storeMedia(ex: Executor, corpId: string, input: MediaInput, actor: string): Promise<MediaMeta> {
  const contentType = input.contentType.toLowerCase();
  const type = input.type ?? kindOf(contentType);
  const limits = MEDIA_LIMITS[type];
  if (limits.contentTypes && !limits.contentTypes.includes(contentType)) {
    throw invalid('contentType', `a ${type} must be one of ${limits.contentTypes.join(', ')}`);
  }
  if (input.data.length < MEDIA_MIN_BYTES) throw invalid('dataBase64', `a file must be at least ${MEDIA_MIN_BYTES} bytes`);
  if (input.data.length > limits.maxBytes) throw invalid('dataBase64', `a ${type} may be at most ${limits.maxBytes} bytes, got ${input.data.length}`);
  const [row] = await ex
    .insert(media)
    .values({
      corpId, filename: input.filename, contentType, type, size: input.data.length,
      sha256: createHash('sha256').update(input.data).digest('hex'), data: input.data, createdBy: actor,
    })
    .returning(metaColumns);
  return row!;
}

export async function getMedia(ex: Executor, corpId: string, id: number): Promise<MediaMeta | undefined> {
  const [row] = await ex.select(metaColumns).from(media).where(and(eq(media.corpId, corpId), eq(media.id, id)));
  return row;
}

/** Metadata of several media rows of this corp, by id. */
export async function mediaByIds(ex: Executor, corpId: string, ids: number[]): Promise<Map<number, MediaMeta>> {
  const out = new Map<number, MediaMeta>();
  for (const id of new Set(ids)) {
    const m = await getMedia(ex, corpId, id);
    if (m) out.set(id, m);
  }
  return out;
}

/**
 * A WeCom media_id for one of our media rows: the cached one while it is
 * younger than 2.5 days (WeCom keeps it 3), else a fresh upload, cached.
 * Two instances racing may both upload: each gets a valid id, the last is kept.
 */
export async function wecomMediaId(ex: Executor, client: WeComClient, corpId: string, id: number, now: Date, reuseMs = MEDIA_ID_REUSE_MS): Promise<string> {
  const m = await getMedia(ex, corpId, id);
  if (!m) throw notFound(`media ${id}`);
  if (m.wecomMediaId && m.wecomUploadedAt && now.getTime() - m.wecomUploadedAt.getTime() < reuseMs) return m.wecomMediaId;
  const [row] = await ex.select({ data: media.data }).from(media).where(and(eq(media.corpId, corpId), eq(media.id, id)));
  const uploaded = await client.media.upload(m.type, m.filename, row!.data, m.contentType);
  // WeCom's created_at is when its 3 days started; our clock is the fallback.
  const at = uploaded.created_at > 0 ? new Date(Math.min(uploaded.created_at * 1000, now.getTime())) : now;
  await ex.update(media).set({ wecomMediaId: uploaded.media_id, wecomUploadedAt: at }).where(and(eq(media.corpId, corpId), eq(media.id, id)));
  return uploaded.media_id;
}
