import type { FormPart } from './multipart';
import type { TokenInfo } from './tokens';

export type HttpMethod = 'GET' | 'POST';

export interface ApiRequest {
  /** API path without the /cgi-bin/ prefix. */
  api: string;
  method: HttpMethod;
  /** Query parameters (last value wins), access_token included. */
  query: Record<string, string>;
  /** Parsed JSON body for POST APIs; {} for GET and multipart routes. */
  body: Record<string, unknown>;
  /** The parts of a multipart/form-data body (multipart routes only; undefined when the body was not multipart). */
  form?: FormPart[];
  /** Multipart routes: the body exceeded the simulator's read cap and was discarded. */
  tooLarge?: boolean;
  /** The caller's token (absent only for gettoken). */
  token?: TokenInfo;
  ip: string;
}

/** A success payload (errcode 0 added by the server unless the handler sets its own). */
export type ApiResult = Record<string, unknown>;

export interface ApiRoute {
  /** Path without /cgi-bin/, e.g. 'externalcontact/list'. */
  path: string;
  method: HttpMethod;
  /** False only for gettoken. */
  needsToken?: boolean;
  /** A customer-contact (客户联系) API: subject to the agent-secret permission switch. */
  contact?: boolean;
  /** The body is multipart/form-data (media uploads), not JSON. */
  multipart?: boolean;
  /** List fields that are still present, empty, when the call fails (API-NOTES §0). */
  emptyOnFailure?: Record<string, unknown>;
  /** Ids the call names, for call counting (userid, external_userid, chat_id …). */
  ids?: (req: Pick<ApiRequest, 'query' | 'body'>) => string[];
  handle(req: ApiRequest): ApiResult | Promise<ApiResult>;
}

/** The route table every api/<area>.ts module registers into. */
export class ApiRegistry {
  private readonly routes = new Map<string, ApiRoute>();

  add(route: ApiRoute): void {
    if (this.routes.has(route.path)) throw new Error(`duplicate simulator route ${route.path}`);
    this.routes.set(route.path, route);
  }

  get(path: string): ApiRoute | undefined {
    return this.routes.get(path);
  }

  paths(): string[] {
    return [...this.routes.keys()].sort();
  }
}

/** Ids helpers for `ApiRoute.ids`. */
export const idsFrom = {
  query: (...keys: string[]) => ({ query }: Pick<ApiRequest, 'query'>) =>
    keys.map((k) => query[k]).filter((v): v is string => typeof v === 'string' && v !== ''),
  body: (...keys: string[]) => ({ body }: Pick<ApiRequest, 'body'>) => {
    const out: string[] = [];
    for (const k of keys) {
      const v = body[k];
      if (typeof v === 'string' && v !== '') out.push(v);
      else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x !== '') out.push(x);
    }
    return out;
  },
};
