import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { SimInputError } from './errors';

/** A sign-in code lives 5 minutes and works once (WeCom's OAuth2 / web-login rule). */
export const SIGN_IN_CODE_TTL_SECONDS = 300;

/** Hosts trusted by default: the machine itself, so local demos and tests need no setup. */
const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** Which authorize page issued a code: web login (desktop console) or OAuth2 inside WeCom (sidebar). */
export type SignInFlow = 'sso' | 'oauth2';

export interface SignInCode {
  code: string;
  userid: string;
  agentid: number;
  flow: SignInFlow;
  /** Host of the redirect_uri it was issued for (already checked against the trusted domains). */
  redirectHost: string;
  /** Epoch ms (simulated). */
  issuedAt: number;
  expiresAt: number;
}

/** The app's sign-in configuration, as the admin console would hold it. */
export interface SignInConfig {
  /** 可信域名 besides loopback: redirect_uri hosts the authorize pages accept (exact host, no port, case-insensitive). */
  trustedDomains: string[];
  /** Trust 127.0.0.1, localhost and ::1 as redirect hosts (default true). */
  trustLoopback: boolean;
  /** 企业可信IP: callers allowed to use the app's token; null = allow every IP (default). */
  trustedIps: string[] | null;
}

export type RedeemResult = { ok: true; code: SignInCode } | { ok: false; errcode: 40029 };

/**
 * One-time sign-in codes and the app's trusted domains / IPs. Codes are bound
 * to the employee and the app (agentid); redeeming one removes it, so a second
 * exchange answers 40029 like an unknown or expired code. Not persisted: a
 * code outlives no restart (nor, in WeCom, five minutes).
 */
export class SignInDesk {
  private readonly codes = new Map<string, SignInCode>();
  private config: SignInConfig;

  constructor(private readonly now: () => number, initial: Partial<SignInConfig> = {}) {
    this.config = { trustedDomains: [], trustLoopback: true, trustedIps: null };
    this.configure(initial);
  }

  get settings(): SignInConfig {
    return { trustedDomains: [...this.config.trustedDomains], trustLoopback: this.config.trustLoopback, trustedIps: this.config.trustedIps ? [...this.config.trustedIps] : null };
  }

  /** Patch the configuration; unknown keys are ignored, wrong types are a SimInputError. */
  configure(patch: Record<string, unknown>): SignInConfig {
    const next = this.settings;
    if (patch.trustedDomains !== undefined) next.trustedDomains = stringList(patch.trustedDomains, 'trustedDomains').map(normaliseHost);
    if (patch.trustLoopback !== undefined) {
      if (typeof patch.trustLoopback !== 'boolean') throw new SimInputError('trustLoopback must be a boolean');
      next.trustLoopback = patch.trustLoopback;
    }
    if (patch.trustedIps !== undefined) {
      if (patch.trustedIps === null) next.trustedIps = null;
      else {
        const ips = stringList(patch.trustedIps, 'trustedIps').map((ip) => ip.replace(/^::ffff:/, ''));
        const bad = ips.find((ip) => isIP(ip) === 0);
        if (bad !== undefined) throw new SimInputError(`trustedIps: ${bad} is not an IP address`);
        next.trustedIps = ips;
      }
    }
    this.config = next;
    return this.settings;
  }

  /** A redirect_uri host the app may send codes to (WeCom: 50001 otherwise). */
  isTrustedHost(hostname: string): boolean {
    const host = normaliseHost(hostname);
    if (this.config.trustLoopback && LOOPBACK_HOSTS.includes(host)) return true;
    return this.config.trustedDomains.includes(host);
  }

  /** A caller IP the app's token may be used from (WeCom: 60020 otherwise). */
  isTrustedIp(ip: string): boolean {
    return this.config.trustedIps === null || this.config.trustedIps.includes(ip.replace(/^::ffff:/, ''));
  }

  issue(input: { userid: string; agentid: number; flow: SignInFlow; redirectHost: string }): SignInCode {
    this.purge();
    let code = randomBytes(24).toString('base64url');
    while (this.codes.has(code)) code = randomBytes(24).toString('base64url');
    const t = this.now();
    const issued: SignInCode = { code, ...input, issuedAt: t, expiresAt: t + SIGN_IN_CODE_TTL_SECONDS * 1000 };
    this.codes.set(code, issued);
    return issued;
  }

  /**
   * Use a code for the app `agentid`: the first use within 5 minutes wins, any
   * other is 40029. A code of another app is refused without being used up.
   */
  redeem(code: string, agentid: number | undefined): RedeemResult {
    this.purge();
    const found = this.codes.get(code);
    if (!found || found.expiresAt <= this.now() || found.agentid !== agentid) return { ok: false, errcode: 40029 };
    this.codes.delete(code);
    return { ok: true, code: found };
  }

  /** Codes issued and not yet used or expired, oldest first. */
  outstanding(): SignInCode[] {
    this.purge();
    return [...this.codes.values()].map((c) => ({ ...c }));
  }

  private purge(): void {
    const t = this.now();
    for (const [code, c] of this.codes) if (c.expiresAt <= t) this.codes.delete(code);
  }
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string' && x.trim() !== '')) {
    throw new SimInputError(`${field} must be an array of non-empty strings`);
  }
  return v.map((x) => x.trim());
}

/** Lower case, IPv6 brackets dropped (URL.hostname keeps them). */
function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
}
