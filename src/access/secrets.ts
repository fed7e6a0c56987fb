import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh unguessable value (256 bits), URL-safe. */
export const randomSecret = (): string => randomBytes(32).toString('base64url');

/** What is stored instead of a secret: its SHA-256, hex. A secret of 256 random bits needs no salt. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Constant-time equality of two strings (by their digests, so lengths don't leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
