import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { TestApp } from './test-app';

export interface RouteInfo {
  method: string;
  path: string;
  handler: object;
  controller: object;
}

/** Every route the app serves, read from the controllers' metadata (as Immich's spec does). */
export function listRoutes(t: TestApp): RouteInfo[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const reflector = t.app.get(Reflector);
  const out: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    const controller = wrapper.metatype as object | undefined;
    if (!instance || !controller) continue;
    const base = reflector.get<string | string[]>('path', controller as never) ?? '';
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = instance[name] as object;
      const path = reflector.get<string | string[]>('path', handler as never);
      const method = reflector.get<RequestMethod>('method', handler as never);
      if (path === undefined || method === undefined) continue;
      for (const p of [path].flat()) {
        const joined = ['/api', ...[base].flat(), p].filter((s) => s && s !== '/').join('/').replace(/\/+/g, '/');
        out.push({ method: RequestMethod[method], path: joined, handler, controller });
      }
    }
  }
  return out.sort((a, b) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`));
}

/** A concrete URL for a route pattern (path parameters filled with a well-formed id). */
export function concretePath(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => (name === 'service' ? 'drop' : '00000000-0000-4000-8000-000000000000'));
}
