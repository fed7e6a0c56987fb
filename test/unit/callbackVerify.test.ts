import { AppError } from '../../src/lib/errors';
import { envelopeCiphertext, openSealed, signature } from '../../src/wecom/callback/verify';

// WeCom's published sample (API-NOTES §1.9).
const secrets = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7', maxSkewSeconds: 0 };
const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
const verifyQuery = { msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780' };
const now = new Date(1409659589 * 1000);

describe('callback verification (pure)', () => {
  it('computes the documented URL-verification signature', () => {
    expect(signature(secrets.token, verifyQuery.timestamp, verifyQuery.nonce, echostr)).toBe(verifyQuery.msg_signature);
  });

  it('opens the documented echostr', () => {
    expect(openSealed(verifyQuery, echostr, secrets, now)).toBe('1616140317555161061');
  });

  it('rejects a signature off by one character', () => {
    const forged = { ...verifyQuery, msg_signature: verifyQuery.msg_signature.replace(/.$/, '0') };
    expect(() => openSealed(forged, echostr, secrets, now)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });

  it('rejects a missing signature', () => {
    expect(() => openSealed({ ...verifyQuery, msg_signature: undefined }, echostr, secrets, now)).toThrow(AppError);
  });

  it('checks skew both ways when enabled', () => {
    const strict = { ...secrets, maxSkewSeconds: 300 };
    expect(openSealed(verifyQuery, echostr, strict, new Date(now.getTime() + 299_000))).toBe('1616140317555161061');
    expect(() => openSealed(verifyQuery, echostr, strict, new Date(now.getTime() + 301_000))).toThrow(expect.objectContaining({ code: 'stale_timestamp' }));
    expect(() => openSealed(verifyQuery, echostr, strict, new Date(now.getTime() - 301_000))).toThrow(expect.objectContaining({ code: 'stale_timestamp' }));
  });

  it('rejects a payload sealed for another corp', () => {
    expect(() => openSealed(verifyQuery, echostr, { ...secrets, corpId: 'wwsomeoneelse' }, now)).toThrow(expect.objectContaining({ code: 'foreign_corp' }));
  });

  it('extracts the ciphertext from an envelope, CDATA or not', () => {
    expect(envelopeCiphertext('<xml><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>')).toBe('abc+/=');
    expect(envelopeCiphertext('<xml><Encrypt>abc</Encrypt></xml>')).toBe('abc');
    expect(envelopeCiphertext('<xml></xml>')).toBeUndefined();
  });
});
