import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'nullpass:public';

/** Opts a route out of the global JWT guard (login, register, health, webhooks, …). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
