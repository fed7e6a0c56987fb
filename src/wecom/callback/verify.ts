import { createHash, timingSafeEqual } from 'node:crypto';
import { decrypt } from '@wecom/crypto';
import { AppError } from '../../lib/errors';

export interface CallbackSecrets {
  token: string;
  aesKey: string;
  corpId: string;
  /** Reject timestamps further than this from now, either way; 0 disables. */
  maxSkewSeconds: number;
}

export interface SignedQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
}

/** sha1 over the four values sorted and concatenated (API-NOTES §1.4). */
export function signature(token: string, timestamp: string, nonce: string, payload: string): string {
  return createHash('sha1').update([token, timestamp, nonce, payload].sort().join('')).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks signature and skew, then decrypts and checks the receiveid.
 * A pure function of what was received, the secrets and `now`: the order of
 * checks matters — nothing is decrypted before the signature holds.
 */
export function openSealed(query: SignedQuery, sealed: string | undefined, secrets: CallbackSecrets, now: Date): string {
  const { msg_signature: sig, timestamp, nonce } = query;
  if (!sig || !timestamp || !nonce || !sealed) throw new AppError('bad_signature', 'missing msg_signature, timestamp, nonce or payload');
  if (!sameHex(signature(secrets.token, timestamp, nonce, sealed), sig)) throw new AppError('bad_signature', 'signature does not match');
  if (secrets.maxSkewSeconds > 0) {
    const ts = Number(timestamp);
    if (!Number.isFinite(ts) || Math.abs(now.getTime() / 1000 - ts) > secrets.maxSkewSeconds) {
      throw new AppError('stale_timestamp', `timestamp is more than ${secrets.maxSkewSeconds}s from now`);
    }
  }
  let opened: { message: string; id: string };
  try {
    opened = decrypt(secrets.aesKey, sealed);
  } catch {
    throw new AppError('undecryptable', 'payload could not be decrypted');
  }
  if (opened.id !== secrets.corpId) throw new AppError('foreign_corp', 'payload is addressed to another corp');
  return opened.message;
}

/** The `<Encrypt>` element of a POST envelope, without a full XML parse of untrusted input. */
export function envelopeCiphertext(body: string): string | undefined {
  const m = /<Encrypt>\s*(?:<!\[CDATA\[([^\]]*)\]\]>|([^<]*))\s*<\/Encrypt>/.exec(body);
  const value = m?.[1] ?? m?.[2];
  return value?.trim() || undefined;
}
