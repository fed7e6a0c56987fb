import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRMSG } from './errors';
import type { SignInDesk, SignInFlow } from './signIn';
import type { Employee, World } from './world/state';

/**
 * WeCom's authorize pages, as the simulator's own HTTP server serves them (in
 * demo mode it stands in for login.work.weixin.qq.com and open.weixin.qq.com):
 *
 * - GET /wwlogin/sso/login?login_type=CorpApp&appid&agentid&redirect_uri&state   web login (desktop console)
 * - GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state&agentid   OAuth2 inside WeCom (sidebar)
 *
 * Instead of a QR code or WeCom's silent consent, the page lists the corp's
 * employees; choosing one (GET …/choose?…&userid=) issues a one-time code and
 * redirects (302) to redirect_uri with code and state appended. Requests WeCom
 * would refuse get an error page naming the errcode (HTTP 400, `error-code`
 * header), and no code: an untrusted redirect host is refused here (50001), so
 * auth/getuserinfo never sees a code issued for one.
 */
export interface SignInPageDeps {
  corpId: string;
  agentId: number;
  world: World;
  desk: SignInDesk;
}

interface FlowPaths {
  flow: SignInFlow;
  page: string;
  choose: string;
}

const FLOWS: readonly FlowPaths[] = [
  { flow: 'sso', page: '/wwlogin/sso/login', choose: '/wwlogin/sso/choose' },
  { flow: 'oauth2', page: '/connect/oauth2/authorize', choose: '/connect/oauth2/choose' },
];

/** Errcodes the pages answer besides those in ERRMSG; 50001's text is WeCom's meaning, its English errmsg is not documented. */
const PAGE_ERRORS: Readonly<Record<number, string>> = {
  40013: 'appid 不是本企业的 CorpID',
  40056: 'agentid 不是本应用的 AgentId',
  40058: '参数错误',
  41054: '该成员未激活或已禁用，不能登录',
  50001: 'redirect_uri 的域名不是应用的可信域名（redirect uri domain mismatch）',
  60111: '成员不存在或已离职',
};

/** The query parameters of an authorize request, checked as WeCom checks them. */
interface AuthorizeRequest {
  appid: string;
  agentid: number;
  redirect: URL;
  state: string;
  /** The query to carry from the page to its choose links (everything but userid). */
  carried: URLSearchParams;
}

class PageError extends Error {
  constructor(readonly errcode: number, readonly detail?: string) {
    super(PAGE_ERRORS[errcode] ?? ERRMSG[errcode] ?? 'error');
  }
}

/** Serve a sign-in page if `pathname` is one; false when it is not (the caller answers 404). */
export function handleSignInPage(deps: SignInPageDeps, req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): boolean {
  const route = FLOWS.find((f) => f.page === pathname || f.choose === pathname);
  if (!route) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET', 'content-length': 0 });
    res.end();
    return true;
  }
  try {
    const auth = checkAuthorize(deps, route.flow, query);
    if (pathname === route.page) {
      sendHtml(res, 200, employeePage(deps, route, auth));
      return true;
    }
    const userid = query.get('userid') ?? '';
    const e = deps.world.activeEmployee(userid);
    if (!e) throw new PageError(60111, userid);
    if (e.status !== 1) throw new PageError(41054, userid);
    const issued = deps.desk.issue({ userid: e.userid, agentid: auth.agentid, flow: route.flow, redirectHost: auth.redirect.hostname });
    const target = new URL(auth.redirect.href);
    target.searchParams.set('code', issued.code);
    target.searchParams.set('state', auth.state);
    // The code is a credential for five minutes: keep it out of caches and of the next site's Referer.
    res.writeHead(302, { location: target.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': 0 });
    res.end();
  } catch (err) {
    if (!(err instanceof PageError)) throw err;
    sendHtml(res, 400, errorPage(err), { 'error-code': String(err.errcode) });
  }
  return true;
}

function checkAuthorize(deps: SignInPageDeps, flow: SignInFlow, q: URLSearchParams): AuthorizeRequest {
  const appid = q.get('appid') ?? '';
  if (appid !== deps.corpId) throw new PageError(40013, appid || 'appid 缺失');
  if (flow === 'sso') {
    const loginType = q.get('login_type') ?? '';
    if (loginType !== 'CorpApp') throw new PageError(40058, `login_type 须为 CorpApp（收到 ${loginType || '空'}）`);
  } else {
    if (q.get('response_type') !== 'code') throw new PageError(40058, 'response_type 须为 code');
    const scope = q.get('scope') ?? '';
    if (scope !== 'snsapi_base' && scope !== 'snsapi_privateinfo') throw new PageError(40058, 'scope 须为 snsapi_base 或 snsapi_privateinfo');
  }
  // Web login names the app; OAuth2 may leave it out for snsapi_base (the corp's only app here).
  const rawAgent = q.get('agentid');
  if (flow === 'sso' && !rawAgent) throw new PageError(40056, 'agentid 缺失');
  const agentid = rawAgent ? Number(rawAgent) : deps.agentId;
  if (agentid !== deps.agentId) throw new PageError(40056, rawAgent ?? '');
  const rawRedirect = q.get('redirect_uri') ?? '';
  if (!rawRedirect) throw new PageError(40058, 'redirect_uri 缺失');
  let redirect: URL;
  try {
    redirect = new URL(rawRedirect);
  } catch {
    throw new PageError(50001, rawRedirect);
  }
  if ((redirect.protocol !== 'http:' && redirect.protocol !== 'https:') || !deps.desk.isTrustedHost(redirect.hostname)) {
    throw new PageError(50001, redirect.host || rawRedirect);
  }
  const carried = new URLSearchParams(q);
  carried.delete('userid');
  return { appid, agentid, redirect, state: q.get('state') ?? '', carried };
}

const STATUS_TEXT: Readonly<Record<Employee['status'], string>> = { 1: '已激活', 2: '已禁用', 4: '未激活' };

function employeePage(deps: SignInPageDeps, route: FlowPaths, auth: AuthorizeRequest): string {
  const { world } = deps;
  const rows = world.activeEmployees().map((e) => {
    const depts = e.department.map((id, i) => {
      const name = world.departments.get(id)?.name ?? String(id);
      return e.is_leader_in_dept[i] === 1 ? `${escapeHtml(name)} <span class="lead">负责人</span>` : escapeHtml(name);
    }).join('、');
    const leads = e.is_leader_in_dept.some((x) => x === 1) ? '是' : '否';
    const params = new URLSearchParams(auth.carried);
    params.set('userid', e.userid);
    const action = e.status === 1
      ? `<a class="choose" href="${escapeHtml(`${route.choose}?${params.toString()}`)}">以此身份登录</a>`
      : `<span class="off">${escapeHtml(STATUS_TEXT[e.status])}，不能登录</span>`;
    return `<tr><td>${escapeHtml(e.name)}</td><td><code>${escapeHtml(e.userid)}</code></td><td>${depts}</td><td>${leads}</td><td>${action}</td></tr>`;
  }).join('\n');
  const title = route.flow === 'sso' ? '企业微信登录' : '企业微信网页授权';
  return layout(title, `
<p>应用 AgentId <code>${escapeHtml(String(auth.agentid))}</code> 请求登录，登录后将跳转到 <code>${escapeHtml(auth.redirect.origin)}</code>。请选择一位成员：</p>
<table>
<thead><tr><th>姓名</th><th>帐号 (userid)</th><th>部门</th><th>部门负责人</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`);
}

function errorPage(err: PageError): string {
  return layout('无法登录', `
<p class="error">错误码 <strong>${err.errcode}</strong>：${escapeHtml(err.message)}</p>
${err.detail ? `<p>详情：<code>${escapeHtml(err.detail)}</code></p>` : ''}
<p>参见 <code>https://open.work.weixin.qq.com/devtool/query?e=${err.errcode}</code></p>`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · 企业微信模拟器</title>
<style>
body { font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #1f2329; }
.banner { background: #fa8c16; color: #fff; padding: 10px 16px; font-weight: 600; }
main { padding: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e5e6eb; padding: 8px; text-align: left; }
.lead { background: #e8f3ff; color: #1677ff; border-radius: 4px; padding: 0 4px; font-size: 12px; }
.choose { background: #1677ff; color: #fff; padding: 4px 10px; border-radius: 4px; text-decoration: none; }
.off { color: #86909c; }
.error { color: #cf1322; }
</style>
</head>
<body>
<div class="banner" role="banner">企业微信模拟器 — 演示登录，不是真实的企业微信</div>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store', ...headers,
  });
  res.end(html);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike: every value put into a page goes through this. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
