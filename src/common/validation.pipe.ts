import { ArgumentMetadata, BadRequestException, Paramtype, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';

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

/** The DTO's fields, read from a value that is certainly valid; undefined for anything else. */
export type ShortcutReader = (value: unknown) => object | undefined;
const shortcuts = new WeakMap<object, { read: ShortcutReader; from: Paramtype }>();

/**
 * For a DTO of a hot route whose common valid inputs are cheap to recognise: `read` takes such
 * an input straight to the DTO's fields (as class-transformer would convert them), without
 * class-transformer and class-validator (a tenth of a /verify's CPU, bench/README.md "twelfth
 * pass"), and answers undefined for anything else, which then goes the whole way, so every
 * answer to bad input is still the library's. `from` is the kind of parameter it reads (a
 * request body, or a query). Each such class has a property test holding the two paths equal
 * (validation.pipe.spec.ts).
 */
export function ValidationShortcut(read: ShortcutReader, from: Paramtype = 'body'): ClassDecorator {
  return (target) => {
    shortcuts.set(target, { read, from });
  };
}

/** Nest's ValidationPipe, with the shortcuts above. */
export class NullPassValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    const shortcut = metatype ? shortcuts.get(metatype) : undefined;
    const fields = shortcut?.from === metadata.type ? shortcut.read(value) : undefined;
    if (fields) return Promise.resolve(Object.assign(new metatype!(), fields));
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new NullPassValidationPipe(VALIDATION_OPTIONS);
}
