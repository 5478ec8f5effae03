import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

export interface RawEntityReader<T> {
  /** `alias.col AS alias_col, …` for every column of the entity. */
  select: string;
  /** `'alias_col', alias.col, …`: the arguments of a JSON object function giving the same keys. */
  jsonPairs: string;
  /** The entity from one raw row, each value converted as TypeORM itself would. */
  read(row: Record<string, unknown>): T;
  /** The key (`alias_col`) under which a property's column is selected. */
  keyOf(propertyName: string): string;
  /** How many values `select` selects. */
  width: number;
  /** The entity from a row read as an array (HotQuery.arrays), its values from `offset` on. */
  readAt(row: readonly unknown[], offset: number): T;
}

/**
 * For the few queries on every request (the session lookup): a hand-written SQL
 * statement read into entities with TypeORM's own per-column conversion
 * (driver.prepareHydratedValue), instead of rebuilding the same query builder and
 * running its generic result transformer each time.
 */
export function rawEntityReader<T extends ObjectLiteral>(
  ds: DataSource,
  target: EntityTarget<T>,
  alias: string,
  /** Only these properties (default: every column). */
  properties?: ReadonlyArray<keyof T & string>,
): RawEntityReader<T> {
  const metadata = ds.getMetadata(target);
  const q = (name: string) => ds.driver.escape(name);
  const columns = metadata.columns
    .filter((column) => !properties || properties.includes(column.propertyName as keyof T & string))
    .map((column) => ({ column, key: `${alias}_${column.databaseName}` }));
  return {
    select: columns.map(({ column, key }) => `${q(alias)}.${q(column.databaseName)} AS ${q(key)}`).join(', '),
    jsonPairs: columns.map(({ column, key }) => `'${key}', ${q(alias)}.${q(column.databaseName)}`).join(', '),
    read: (row) => {
      // As TypeORM's own hydration does (entitySkipConstructor): no constructor, whose field initialisers would make a UUID.
      const entity = metadata.create(undefined, { fromDeserializer: true }) as T;
      for (const { column, key } of columns) {
        (entity as Record<string, unknown>)[column.propertyName] = ds.driver.prepareHydratedValue(row[key], column);
      }
      return entity;
    },
    keyOf: (propertyName) => {
      const found = columns.find(({ column }) => column.propertyName === propertyName);
      if (!found) throw new Error(`${metadata.name} has no selected column ${propertyName}`);
      return found.key;
    },
    width: columns.length,
    readAt: (row, offset) => {
      const entity = metadata.create(undefined, { fromDeserializer: true }) as T;
      for (let i = 0; i < columns.length; i++) {
        const { column } = columns[i];
        (entity as Record<string, unknown>)[column.propertyName] = ds.driver.prepareHydratedValue(row[offset + i], column);
      }
      return entity;
    },
  };
}
