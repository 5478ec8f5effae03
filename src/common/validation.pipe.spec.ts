import 'reflect-metadata';
import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { AUDIT_ACTIONS } from '../audit/audit-actions';
import { AuditQueryDto } from '../audit/dto/audit-query.dto';
import { VerifyTokenDto } from '../auth/dto/auth-requests.dto';
import { TOKEN_MAX_LENGTH } from '../auth/token.service';
import { createValidationPipe, VALIDATION_OPTIONS } from './validation.pipe';

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });
const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype, data: undefined });

/**
 * What the pipe answers: the value it passes on, or the 400 body it refuses with. The value
 * arrives as a request body does, from JSON.parse in this realm (structuredClone's objects
 * would come from another realm than Jest's, with another Object.prototype).
 */
async function outcome(pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
  let input: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
  // Express's query parser (node:querystring) makes objects without a prototype
  if (metadata.type === 'query') input = Object.assign(Object.create(null), input);
  try {
    const passed = await pipe.transform(input, metadata);
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

/** Query strings a client could send to GET /api/audit, the pages of the common paging among them. */
const numberish = fc.oneof(
  fc.integer({ min: -2, max: 1_000_002 }).map(String),
  fc.constantFrom('1', '50', '99', '100', '101', '0', '00', '050', '5.0', '1e2', ' 5', '5 ', '+5', '-0', '', '0x10', '1000000', '1000001', '٣'),
);
const cursorish = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{0,8}$/),
  fc.string({ unit: fc.constantFrom('A', 'z', '0', '_', '-'), minLength: 198, maxLength: 202 }),
  fc.string({ maxLength: 12 }),
);
const actionish = fc.oneof(fc.constantFrom(...AUDIT_ACTIONS), fc.constantFrom('user_login', 'USER_LOGIN ', 'NOPE', ''), fc.string({ maxLength: 10 }));
const page = {
  limit: fc.integer({ min: 1, max: 100 }).map(String),
  offset: fc.integer({ min: 0, max: 1_000_000 }).map(String),
  action: fc.constantFrom(...AUDIT_ACTIONS),
  cursor: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/),
};
const pages = fc.record(page, { requiredKeys: [] });
/** Pages with any field at one of its edges (each field valid half the time). */
const nearPages = fc.record(
  {
    limit: fc.oneof(page.limit, numberish),
    offset: fc.oneof(page.offset, numberish),
    action: fc.oneof(page.action, actionish),
    cursor: fc.oneof(page.cursor, cursorish),
  },
  { requiredKeys: [] },
);
const anyQuery = fc.record(
  {
    limit: fc.oneof(numberish, fc.array(numberish, { maxLength: 2 })),
    offset: fc.oneof(numberish, fc.array(numberish, { maxLength: 2 })),
    action: fc.oneof(actionish, fc.array(actionish, { maxLength: 2 })),
    cursor: fc.oneof(cursorish, fc.array(cursorish, { maxLength: 2 })),
    other: fc.string({ maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const queries = fc.oneof(pages, nearPages, anyQuery);

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();
  /** The same pipe without shortcuts: class-transformer and class-validator on every value. */
  const library = new ValidationPipe(VALIDATION_OPTIONS);
  /** The pipe's own class-validator step: called only when a value goes the whole way. */
  let validate: jest.SpyInstance;
  beforeEach(() => {
    validate = jest.spyOn(pipe as unknown as { validate: () => unknown }, 'validate');
  });
  afterEach(() => validate.mockRestore());

  /** Both pipes answer every generated value alike, and the shortcut took more than `share` of them. */
  async function sameAnswers(values: fc.Arbitrary<unknown>, metadata: ArgumentMetadata, numRuns: number, share: number): Promise<void> {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(values, async (value) => {
        runs++;
        expect(await outcome(pipe, value, metadata)).toEqual(await outcome(library, value, metadata));
      }),
      { numRuns },
    );
    expect(runs - validate.mock.calls.length).toBeGreaterThan(runs * share);
  }

  describe('VerifyTokenDto (POST /api/auth/verify, on every request of a sibling product)', () => {
    it('answers every body exactly as class-validator does, shortcut or not', async () => {
      await sameAnswers(bodies, body(VerifyTokenDto), 2000, 1 / 10);
    });

    it('takes the common body without running class-transformer or class-validator', async () => {
      const passed = await pipe.transform({ token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' }, body(VerifyTokenDto));
      expect(passed).toBeInstanceOf(VerifyTokenDto);
      expect(passed).toEqual({ token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' });
      expect(validate).not.toHaveBeenCalled();

      // anything else goes the whole way
      await expect(pipe.transform({ token: 1 }, body(VerifyTokenDto))).rejects.toThrow(BadRequestException);
      await pipe.transform({}, body(VerifyTokenDto));
      await expect(pipe.transform({ token: 'x', other: 1 }, body(VerifyTokenDto))).rejects.toThrow(BadRequestException);
      expect(validate).toHaveBeenCalledTimes(3);
    });

    it('keeps the shortcut to request bodies (a query or a param goes the whole way)', async () => {
      await pipe.transform({ token: 'a' }, { type: 'query', metatype: VerifyTokenDto, data: undefined });
      expect(validate).toHaveBeenCalledTimes(1);
    });
  });

  describe('AuditQueryDto (GET /api/audit, every page of a paging client)', () => {
    it('answers every query exactly as class-validator does, shortcut or not', async () => {
      await sameAnswers(queries, query(AuditQueryDto), 3000, 1 / 20);
    });

    it('reads the common pages as numbers and names without class-validator', async () => {
      const page = Object.assign(Object.create(null), { limit: '50', action: 'USER_LOGIN', cursor: 'MjAyNi0xMi0wNVQxMDowMDowMC4wMDBa' });
      const passed = await pipe.transform(page, query(AuditQueryDto));
      expect(passed).toBeInstanceOf(AuditQueryDto);
      expect(passed).toEqual({ limit: 50, action: 'USER_LOGIN', cursor: 'MjAyNi0xMi0wNVQxMDowMDowMC4wMDBa' });
      expect(await pipe.transform(Object.create(null), query(AuditQueryDto))).toEqual({});
      expect(validate).not.toHaveBeenCalled();
      await expect(pipe.transform({ limit: '0' }, query(AuditQueryDto))).rejects.toThrow(BadRequestException);
      expect(validate).toHaveBeenCalledTimes(1);
    });
  });
});
