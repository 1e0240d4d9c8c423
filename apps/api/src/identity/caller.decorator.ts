import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CallerContext } from '@glimpse/contracts';
import type { Request } from 'express';

export interface IdentifiedRequest extends Request {
  caller?: CallerContext;
}

/** The caller that IdentityMiddleware attached to the request. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): CallerContext => {
  const caller = ctx.switchToHttp().getRequest<IdentifiedRequest>().caller;
  if (!caller) throw new Error('IdentityMiddleware did not run for this route');
  return caller;
});
