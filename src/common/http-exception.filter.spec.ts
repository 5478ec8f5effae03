import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isTransactionConflict } from './http-exception.filter';

/** A driver error as node-postgres raises it, wrapped by TypeORM as a failed query is. */
function failedQuery(code: string, message: string): QueryFailedError {
  return new QueryFailedError('UPDATE users SET display_name = $1 WHERE id = $2', [], Object.assign(new Error(message), { code }));
}

describe('isTransactionConflict', () => {
  it.each([
    ['40P01', 'deadlock detected'],
    ['40001', 'could not serialize access due to concurrent update'],
    ['55P03', 'canceling statement due to lock timeout'],
  ])('%s (%s) is a conflict: the transaction rolled back and can be sent again', (code, message) => {
    expect(isTransactionConflict(failedQuery(code, message))).toBe(true);
    expect(isDatabaseUnavailable(failedQuery(code, message))).toBe(false);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['22P02', 'invalid input syntax for type uuid'],
    ['40P0', 'not a code'],
  ])('%s (%s) is not', (code, message) => {
    expect(isTransactionConflict(failedQuery(code, message))).toBe(false);
  });

  it('nor is an error without a code, or no error', () => {
    expect(isTransactionConflict(new Error('deadlock detected'))).toBe(false);
    expect(isTransactionConflict(null)).toBe(false);
    expect(isTransactionConflict(undefined)).toBe(false);
    expect(isTransactionConflict('40P01')).toBe(false);
  });
});
