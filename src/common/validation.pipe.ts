import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** class-validator errors as the contract's `details` (nested fields as `a.b`). */
export function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Unknown fields are refused (whitelist + forbidNonWhitelisted), types are converted
 * only where a DTO says so, and the answer is the contract's shape: the first message
 * as `error` (as the original's `error.errors[0].message`), all of them in `details`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return new BadRequestException({ error: details[0]?.message ?? 'Validation failed', details });
    },
  });
}
