import { type Rng } from '../random';

export type MediaType = 'image' | 'voice' | 'video' | 'file';
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'voice', 'video', 'file'];

/** A temporary media upload (media/upload): only its size and name are kept, not the bytes. */
export interface StoredMedia {
  media_id: string;
  type: MediaType;
  filename: string;
  contentType: string;
  size: number;
  /** Unix seconds (simulated). */
  created_at: number;
  /** created_at + 3 days: later references answer 40007. */
  expires_at: number;
}

/** A permanent image (media/uploadimg). */
export interface StoredImage {
  url: string;
  filename: string;
  size: number;
  created_at: number;
}

/** media_id validity (§ media/upload: 3 days). */
export const MEDIA_TTL_SECONDS = 3 * 86400;

/**
 * Uploaded media, so attachments that name an unknown or expired media_id can
 * be refused with 40007 like WeCom does.
 */
export class MediaLibrary {
  readonly uploads = new Map<string, StoredMedia>();
  readonly images = new Map<string, StoredImage>();

  constructor(private readonly rng: Rng) {}

  add(m: Omit<StoredMedia, 'media_id' | 'expires_at'>): StoredMedia {
    let id = `3${this.rng.chars(63)}`;
    while (this.uploads.has(id)) id = `3${this.rng.chars(63)}`;
    const stored: StoredMedia = { ...m, media_id: id, expires_at: m.created_at + MEDIA_TTL_SECONDS };
    this.uploads.set(id, stored);
    return stored;
  }

  addImage(m: Omit<StoredImage, 'url'>): StoredImage {
    const make = () => `https://wework.qpic.cn/wwpic/${this.rng.digits(6)}_${this.rng.chars(22)}_${m.created_at}/0`;
    let url = make();
    while (this.images.has(url)) url = make();
    const stored: StoredImage = { ...m, url };
    this.images.set(url, stored);
    return stored;
  }

  /** Plain data for a save. */
  exportState(): { uploads: StoredMedia[]; images: StoredImage[] } {
    return { uploads: [...this.uploads.values()], images: [...this.images.values()] };
  }

  /** Adds saved uploads and images (a restore). */
  importState(saved: { uploads: StoredMedia[]; images: StoredImage[] }): void {
    for (const m of saved.uploads) this.uploads.set(m.media_id, m);
    for (const i of saved.images) this.images.set(i.url, i);
  }

  /** The media if it exists and has not expired at `nowSeconds`. */
  valid(mediaId: string, nowSeconds: number): StoredMedia | undefined {
    const m = this.uploads.get(mediaId);
    return m && m.expires_at > nowSeconds ? m : undefined;
  }

  /** A stable CDN-like URL for a media_id (WeCom answers images as pic_url on reads). */
  picUrl(mediaId: string): string {
    return `https://wework.qpic.cn/wwpic/media/${mediaId.slice(0, 24)}/0`;
  }
}
