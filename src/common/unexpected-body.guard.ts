import { BadRequestException, CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

export const VALIDATES_OWN_BODY_KEY = 'nullpass:validates-own-body';

/**
 * "Unknown fields are rejected with 400" holds for routes that take no body too (logout,
 * DELETE routes, …): the ValidationPipe only sees declared @Body() parameters, so a
 * route without one would silently ignore whatever was sent. Routes whose guard
 * validates the body itself (re-authentication) are marked and left to it.
 */
@Injectable()
export class UnexpectedBodyGuard implements CanActivate {
  private readonly takesBody = new WeakMap<object, boolean>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const body = context.switchToHttp().getRequest<Request>().body as unknown;
    if (!isPlainObject(body)) return true;
    const keys = Object.keys(body);
    if (!keys.length || this.routeTakesBody(context)) return true;
    const details = keys.map((field) => ({ field, message: `property ${field} should not exist` }));
    throw new BadRequestException({ error: details[0].message, details });
  }

  private routeTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let known = this.takesBody.get(handler);
    if (known === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      const declared = Object.keys(args).some((key) => Number(key.split(':')[0]) === RouteParamtypes.BODY);
      known = declared || this.reflector.getAllAndOverride<boolean>(VALIDATES_OWN_BODY_KEY, [handler, context.getClass()]) === true;
      this.takesBody.set(handler, known);
    }
    return known;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
