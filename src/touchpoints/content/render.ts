/**
 * Template rendering: pure string substitution of `{{path}}` / `{{path|fallback}}`.
 * No code runs: a path is looked up in a closed list of names (own properties
 * only, so `{{constructor}}` or `{{field.__proto__}}` find nothing), values
 * are inserted once and never scanned again (a customer named "{{rep.name}}"
 * stays that text), and a missing or unknown variable becomes its fallback or
 * nothing — and is reported in `missing`.
 */

/** WeCom's limit on text content of welcome and mass messages (§4.10, §4.11). */
export const TEXT_MAX_BYTES = 4000;
/** Group welcome templates take less (§4.11). */
export const GROUP_WELCOME_TEXT_MAX_BYTES = 3000;
export const LINK_TITLE_MAX_BYTES = 128;
export const LINK_DESC_MAX_BYTES = 512;
export const URL_MAX_BYTES = 2048;
export const MINIPROGRAM_TITLE_MAX_BYTES = 64;
export const ATTACHMENTS_MAX = 9;

/** An attachment as a template stores it: media by reference (our media rows), links as plain data. */
export type TemplateAttachment =
  | { msgtype: 'image'; mediaRef?: number; picUrl?: string }
  | { msgtype: 'link'; title: string; url: string; picUrl?: string; desc?: string }
  | { msgtype: 'miniprogram'; title: string; picMediaRef: number; appid: string; page: string }
  | { msgtype: 'video'; mediaRef: number }
  | { msgtype: 'file'; mediaRef: number };

export const ATTACHMENT_TYPES = ['image', 'link', 'miniprogram', 'video', 'file'] as const;

/** What a template may say about a customer and the sending rep. Absent or empty values render as their fallback. */
export interface RenderVars {
  customer?: { name?: string; remark?: string; corpName?: string };
  rep?: { name?: string; position?: string };
  /** Custom field values by field key (archive's custom fields). */
  fields?: Record<string, unknown>;
}

/** The variables a template may use; `field.<key>` takes any custom field key. */
export const CUSTOMER_VARIABLES = ['customer.name', 'customer.remark', 'customer.corpName'] as const;
export const REP_VARIABLES = ['rep.name', 'rep.position'] as const;
const FIELD_KEY = /^[a-z][a-z0-9_]*$/;

/** One `{{ … }}` occurrence: where it starts and ends in the text, its trimmed path and raw fallback. */
interface VariableMatch {
  start: number;
  end: number;
  path: string;
  fallback: string | undefined;
}

/**
 * Finds `{{ path }}` and `{{ path | fallback }}` (neither part may contain
 * braces) in one left-to-right pass. A hand scan rather than a regex: the
 * obvious regex (`\{\{\s*([^{}|]*?)\s*…\}\}`) backtracks cubically on an
 * unclosed `{{` followed by spaces, and templates are user input. Each scan
 * stops at the next brace, so every character is looked at a bounded number
 * of times. `steps` counts them (tests check the pass is linear).
 */
export function findVariables(text: string, steps = { count: 0 }): VariableMatch[] {
  const out: VariableMatch[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('{{', from);
    if (start < 0) return out;
    let j = start + 2;
    while (j < text.length && text[j] !== '{' && text[j] !== '}') {
      j++;
      steps.count++;
    }
    if (text[j] === '}' && text[j + 1] === '}') {
      const inner = text.slice(start + 2, j);
      const bar = inner.indexOf('|');
      out.push({
        start,
        end: j + 2,
        path: (bar < 0 ? inner : inner.slice(0, bar)).trim(),
        fallback: bar < 0 ? undefined : inner.slice(bar + 1),
      });
      from = j + 2;
    } else {
      // No variable starts here; one may start at the next brace (`{{{x}}`).
      from = start + 1;
    }
  }
}

/** `fields.x` is accepted as a spelling of `field.x`. */
function canonical(path: string): string {
  return path.startsWith('fields.') ? `field.${path.slice('fields.'.length)}` : path;
}

/** Whether a path names a variable we know (not whether it has a value). */
export function isKnownVariable(path: string): boolean {
  const p = canonical(path);
  if ((CUSTOMER_VARIABLES as readonly string[]).includes(p) || (REP_VARIABLES as readonly string[]).includes(p)) return true;
  return p.startsWith('field.') && FIELD_KEY.test(p.slice('field.'.length));
}

/** Variables that differ per customer (a mass push sends one content to many customers, so it cannot use them). */
export function isCustomerVariable(path: string): boolean {
  const p = canonical(path);
  return p.startsWith('customer.') || p.startsWith('field.');
}

function display(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join('、');
  return undefined;
}

const own = (o: object | undefined, key: string): unknown => (o && Object.prototype.hasOwnProperty.call(o, key) ? (o as Record<string, unknown>)[key] : undefined);

/** The value of one known variable, or undefined (unknown, absent, empty, or not a plain value). */
function lookup(vars: RenderVars, path: string): string | undefined {
  const p = canonical(path);
  if (!isKnownVariable(p)) return undefined;
  const dot = p.indexOf('.');
  const ns = p.slice(0, dot);
  const key = p.slice(dot + 1);
  const source = ns === 'customer' ? vars.customer : ns === 'rep' ? vars.rep : vars.fields;
  const value = display(own(source, key));
  return value === undefined || value === '' ? undefined : value;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateBytes(s: string, max: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(s) <= max) return { text: s, truncated: false };
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    bytes += n;
    out += ch;
  }
  return { text: out, truncated: true };
}

/** Substitutes every variable of one string; returns the text and the variables that had no value. */
export function renderString(text: string, vars: RenderVars, missing: Set<string>): string {
  let out = '';
  let at = 0;
  for (const m of findVariables(text)) {
    if (m.path === '') continue; // `{{}}` is text, not a variable
    out += text.slice(at, m.start);
    at = m.end;
    const value = lookup(vars, m.path);
    if (value !== undefined) {
      out += value;
    } else {
      missing.add(canonical(m.path));
      out += m.fallback?.trim() ?? '';
    }
  }
  return out + text.slice(at);
}

/** The variable paths a string uses, in order of first use. */
function pathsOf(text: string, into: Set<string>): void {
  for (const m of findVariables(text)) if (m.path) into.add(canonical(m.path));
}

/** The texts of a template that take variables: the text, link titles and descriptions, mini-program titles. */
function textsOf(tpl: { text: string; attachments: readonly TemplateAttachment[] }): string[] {
  const out = [tpl.text];
  for (const a of tpl.attachments) {
    if (a.msgtype === 'link') out.push(a.title, a.desc ?? '');
    if (a.msgtype === 'miniprogram') out.push(a.title);
  }
  return out;
}

/** Every variable path a template uses (canonical spelling), in order of first use. */
export function templateVariables(tpl: { text: string; attachments: readonly TemplateAttachment[] }): string[] {
  const paths = new Set<string>();
  for (const t of textsOf(tpl)) pathsOf(t, paths);
  return [...paths];
}

export interface Rendered {
  text: string;
  attachments: TemplateAttachment[];
  /** Variables that had no value (their fallback, or nothing, was used). */
  missing: string[];
  /** The text (or an attachment's title) was longer than WeCom takes after substitution and was cut. */
  truncated: boolean;
}

/**
 * Renders a template for one customer and rep. Pure. The text is cut to
 * `maxTextBytes` (WeCom's 4000 by default) at a character boundary; link and
 * mini-program titles to their own limits.
 */
export function renderTemplate(
  tpl: { text: string; attachments: readonly TemplateAttachment[] },
  vars: RenderVars,
  opts: { maxTextBytes?: number } = {},
): Rendered {
  const missing = new Set<string>();
  let truncated = false;
  const cut = (s: string, max: number) => {
    const r = truncateBytes(s, max);
    truncated ||= r.truncated;
    return r.text;
  };
  const text = cut(renderString(tpl.text, vars, missing), opts.maxTextBytes ?? TEXT_MAX_BYTES);
  const attachments = tpl.attachments.map((a): TemplateAttachment => {
    switch (a.msgtype) {
      case 'link': {
        const { desc, ...rest } = a;
        return {
          ...rest,
          title: cut(renderString(a.title, vars, missing), LINK_TITLE_MAX_BYTES),
          ...(desc !== undefined ? { desc: cut(renderString(desc, vars, missing), LINK_DESC_MAX_BYTES) } : {}),
        };
      }
      case 'miniprogram':
        return { ...a, title: cut(renderString(a.title, vars, missing), MINIPROGRAM_TITLE_MAX_BYTES) };
      default:
        return { ...a };
    }
  });
  return { text, attachments, missing: [...missing], truncated };
}
