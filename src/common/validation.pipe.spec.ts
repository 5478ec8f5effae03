import 'reflect-metadata';
import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { VerifyTokenDto } from '../auth/dto/auth-requests.dto';
import { TOKEN_MAX_LENGTH } from '../auth/token.service';
import { createValidationPipe, VALIDATION_OPTIONS } from './validation.pipe';

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

/**
 * What the pipe answers: the value it passes on, or the 400 body it refuses with. The value
 * arrives as a request body does, from JSON.parse in this realm (structuredClone's objects
 * would come from another realm than Jest's, with another Object.prototype).
 */
async function outcome(pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
  try {
    const passed = await pipe.transform(JSON.parse(JSON.stringify(value) ?? 'null'), metadata);
    return { passed, type: (passed as object)?.constructor?.name };
  } catch (error) {
    if (error instanceof BadRequestException) return { refused: error.getResponse() };
    throw error;
  }
}

/** Values a client could send as a /verify body, the common one included. */
const tokenish = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: TOKEN_MAX_LENGTH - 2, maxLength: TOKEN_MAX_LENGTH + 2 }),
  fc.constant('eyJhbGciOiJIUzI1NiJ9.e30.x'),
  fc.jsonValue({ maxDepth: 2 }),
);
const bodies = fc.oneof(
  fc.record({ token: tokenish }),
  fc.record({ token: tokenish }, { requiredKeys: [] }),
  fc.dictionary(fc.oneof(fc.constant('token'), fc.string({ maxLength: 8 })), tokenish, { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();
  /** The same pipe without shortcuts: class-transformer and class-validator on every value. */
  const library = new ValidationPipe(VALIDATION_OPTIONS);

  describe('VerifyTokenDto (POST /api/auth/verify, on every request of a sibling product)', () => {
    it('answers every body exactly as class-validator does, shortcut or not', async () => {
      await fc.assert(
        fc.asyncProperty(bodies, async (value) => {
          expect(await outcome(pipe, value, body(VerifyTokenDto))).toEqual(await outcome(library, value, body(VerifyTokenDto)));
        }),
        { numRuns: 2000, verbose: 2 },
      );
    });

    it('takes the common body without running class-transformer or class-validator', async () => {
      const validate = jest.spyOn(pipe as unknown as { validate: () => unknown }, 'validate');
      try {
        const passed = await pipe.transform({ token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' }, body(VerifyTokenDto));
        expect(passed).toBeInstanceOf(VerifyTokenDto);
        expect(passed).toEqual({ token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' });
        expect(validate).not.toHaveBeenCalled();

        // anything else goes the whole way
        await expect(pipe.transform({ token: 1 }, body(VerifyTokenDto))).rejects.toThrow(BadRequestException);
        await pipe.transform({}, body(VerifyTokenDto));
        await expect(pipe.transform({ token: 'x', other: 1 }, body(VerifyTokenDto))).rejects.toThrow(BadRequestException);
        expect(validate).toHaveBeenCalledTimes(3);
      } finally {
        validate.mockRestore();
      }
    });

    it('keeps the shortcut to request bodies (a query or a param goes the whole way)', async () => {
      const validate = jest.spyOn(pipe as unknown as { validate: () => unknown }, 'validate');
      try {
        await pipe.transform({ token: 'a' }, { type: 'query', metatype: VerifyTokenDto, data: undefined });
        expect(validate).toHaveBeenCalledTimes(1);
      } finally {
        validate.mockRestore();
      }
    });
  });
});
