import type { RouteOptions, onRequestHookHandler, preHandlerHookHandler, preValidationHookHandler } from 'fastify';

type HookName = 'onRequest' | 'preValidation' | 'preHandler';
type Hook = onRequestHookHandler | preValidationHookHandler | preHandlerHookHandler;

/** Adds a hook to one route from an `onRoute` hook, keeping the route's own hooks after it. */
export function prependRouteHook(route: RouteOptions, name: HookName, fn: Hook): void {
  const own = route[name] as Hook | Hook[] | undefined;
  (route as unknown as Record<HookName, Hook[]>)[name] = [fn, ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
}

export function methodsOf(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
}
