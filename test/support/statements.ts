import { HotQuery } from '../../src/database/hot-query';

/**
 * Runs `work` with every HotQuery.arrays call recorded by statement name (the real statement
 * still runs) and answers the names in call order.
 */
export async function hotStatementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const original = HotQuery.prototype.arrays;
  const spy = jest.spyOn(HotQuery.prototype, 'arrays').mockImplementation(function (this: HotQuery, ...args) {
    statements.push(this.name);
    return original.apply(this, args);
  });
  try {
    await work();
    return statements;
  } finally {
    spy.mockRestore();
  }
}
