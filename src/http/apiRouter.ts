import Router from '@koa/router';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type Koa from 'koa';
import { z, type ZodObject, type ZodType } from 'zod';
import type { Scope } from '../db/scope';
import type { Actor } from '../policy';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type { Actor };

export interface RouteInput<Q, P, B> {
  query: Q;
  params: P;
  body: B;
  actor: Actor;
  /** What the actor may see: pass it to every capability call (out-of-scope ids answer 404). */
  scope: Scope;
  ctx: Koa.Context;
}

export interface RouteSpec<Q, P, B, R> {
  method: Method;
  /** Koa-style path (`/api/events/:id`). */
  path: string;
  summary: string;
  tags: string[];
  query?: ZodType<Q>;
  params?: ZodType<P>;
  body?: ZodType<B>;
  response: ZodType<R>;
  /** Success status (200 unless stated). */
  status?: number;
  handler(input: RouteInput<Q, P, B>): Promise<R>;
}

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/**
 * Registers a route with Koa and with the OpenAPI document from the same zod
 * schemas, so the document cannot drift from what the handler accepts.
 * Handlers see only parsed, typed input.
 */
export class ApiRouter {
  readonly router: Router;
  readonly openapi = new OpenAPIRegistry();

  /**
   * `guard` runs before every route of this router and cannot be skipped:
   * @koa/router runs a router's `use` middleware for each request that matches
   * one of its routes, and matching is case-sensitive and strict, so no
   * spelling of a path reaches a handler without passing the guard first.
   */
  constructor(guard: Koa.Middleware[] = []) {
    this.router = new Router({ sensitive: true, strict: true });
    if (guard.length > 0) this.router.use(...guard);
    this.openapi.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
    this.openapi.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'lifelong_session' });
  }

  route<Q = undefined, P = undefined, B = undefined, R = unknown>(spec: RouteSpec<Q, P, B, R>): void {
    const request: RouteConfig['request'] = {};
    if (spec.query) request.query = spec.query as unknown as ZodObject;
    if (spec.params) request.params = spec.params as unknown as ZodObject;
    if (spec.body) request.body = { required: true, content: { 'application/json': { schema: spec.body } } };
    this.openapi.registerPath({
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: spec.tags,
      security: [{ bearer: [] }, { session: [] }],
      request,
      responses: {
        [spec.status ?? 200]: { description: 'OK', content: { 'application/json': { schema: spec.response } } },
        400: { description: 'Invalid input', content: { 'application/json': { schema: ErrorBody } } },
        401: { description: 'No valid token or session', content: { 'application/json': { schema: ErrorBody } } },
        403: { description: 'The role may not do this (or a session write without x-csrf-token)', content: { 'application/json': { schema: ErrorBody } } },
        404: { description: 'Not found, or outside the caller\'s scope (the same answer)', content: { 'application/json': { schema: ErrorBody } } },
      },
    });
    this.router[spec.method](spec.path, async (ctx) => {
      const input: RouteInput<Q, P, B> = {
        query: (spec.query ? spec.query.parse(ctx.query) : undefined) as Q,
        params: (spec.params ? spec.params.parse(ctx.params) : undefined) as P,
        body: (spec.body ? spec.body.parse(ctx.state.body) : undefined) as B,
        actor: ctx.state.actor as Actor,
        scope: ctx.state.scope as Scope,
        ctx,
      };
      const result = await spec.handler(input);
      ctx.status = spec.status ?? 200;
      ctx.body = result;
    });
  }

  document(info: { title: string; version: string }) {
    return new OpenApiGeneratorV31(this.openapi.definitions).generateDocument({
      openapi: '3.1.0',
      info: { ...info, description: 'Lifelong JSON API. Every route needs `Authorization: Bearer <token>` (ADMIN_TOKEN or a named API token) or a signed-in session cookie (writes then need `x-csrf-token`). Answers are limited to the caller\'s scope: ids outside it are 404.' },
      servers: [{ url: '/' }],
    });
  }
}
