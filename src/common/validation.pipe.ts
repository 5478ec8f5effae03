import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';

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
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
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
};

type Accepts = (value: unknown) => boolean;
const shortcuts = new WeakMap<object, Accepts>();

/**
 * For a DTO of a hot route whose valid bodies are cheap to recognise: a body for which
 * `accepts` holds becomes the DTO at once, without class-transformer and class-validator
 * (a tenth of a /verify's CPU, bench/README.md "twelfth pass"). `accepts` must hold
 * only for plain values that the class's decorators accept and leave unchanged; anything
 * else goes the whole way, so every answer to bad input is still the library's. Each such
 * class has a property test holding the two paths equal (validation.pipe.spec.ts).
 */
export function ValidationShortcut(accepts: Accepts): ClassDecorator {
  return (target) => {
    shortcuts.set(target, accepts);
  };
}

/** Nest's ValidationPipe, with the shortcuts above for request bodies. */
export class NullPassValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.type === 'body' ? metadata.metatype : undefined;
    if (metatype && shortcuts.get(metatype)?.(value)) return Promise.resolve(Object.assign(new metatype(), value));
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new NullPassValidationPipe(VALIDATION_OPTIONS);
}
