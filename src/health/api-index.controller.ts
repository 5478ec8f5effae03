import { Controller, Get } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/decorators/public.decorator';
import { APP_VERSION } from '../openapi';

/** GET /api: what this server offers, and where the docs are. */
@ApiTags('Operations')
@Public()
@SkipThrottle()
@Controller()
export class ApiIndexController {
  private index?: { service: string; version: string; docs: string; openapi: string; endpoints: string[] };

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Index of endpoints' })
  @ApiOkResponse({
    schema: {
      example: { service: 'nullpass', version: '0.1.0', docs: '/api/docs', openapi: '/api/docs-json', endpoints: ['POST /api/auth/login'] },
    },
  })
  list() {
    this.index ??= {
      service: 'nullpass',
      version: APP_VERSION,
      docs: '/api/docs',
      openapi: '/api/docs-json',
      endpoints: this.routes(),
    };
    return this.index;
  }

  private routes(): string[] {
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD'];
    const out: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || !wrapper.metatype) continue;
      const base = this.reflector.get<string | string[]>('path', wrapper.metatype) ?? '';
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const handler = (instance as Record<string, unknown>)[name] as object;
        const path = this.reflector.get<string | string[]>('path', handler as never);
        const method = this.reflector.get<number>('method', handler as never);
        if (path === undefined || method === undefined) continue;
        const joined = ['/api', ...[base, path].flat().filter((p) => p && p !== '/')].join('/').replace(/\/+/g, '/');
        out.push(`${methods[method]} ${joined}`);
      }
    }
    return out.sort();
  }
}
