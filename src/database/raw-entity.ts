import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { pgTimestamptzIso, sqliteTimestamp, sqliteTimestampIso } from './timestamps';

export interface RawEntityReader<T> {
  /** `alias.col AS alias_col, …` for every column TypeORM selects (not those marked `select: false`). */
  select: string;
  /** The entity from one raw row, each value converted as TypeORM itself would. */
  read(row: Record<string, unknown>): T;
  /** The key (`alias_col`) under which a property's column is selected. */
  keyOf(propertyName: string): string;
  /** Where a property's value is in a row read as an array (readAt with offset 0). */
  indexOf(propertyName: string): number;
  /** How many values `select` selects. */
  width: number;
  /** The entity from a row read as an array (HotQuery.arrays), its values from `offset` on. */
  readAt(row: readonly unknown[], offset: number): T;
}

/**
 * For the few queries on every request (the session lookup): a hand-written SQL
 * statement read into entities with TypeORM's own per-column conversion
 * (driver.prepareHydratedValue), instead of rebuilding the same query builder and
 * running its generic result transformer each time. The conversion is chosen once per
 * column (columnReader): the token check reads 27 columns on every request.
 */
export function rawEntityReader<T extends ObjectLiteral, K extends keyof T & string = keyof T & string>(
  ds: DataSource,
  target: EntityTarget<T>,
  alias: string,
  /** Only these properties (default: every column TypeORM's own find selects). */
  properties?: ReadonlyArray<K>,
): RawEntityReader<Pick<T, K>> {
  const metadata = ds.getMetadata(target);
  const q = (name: string) => ds.driver.escape(name);
  const columns = metadata.columns
    .filter((column) => (properties ? properties.includes(column.propertyName as K) : column.isSelect))
    .map((column) => ({ column, key: `${alias}_${column.databaseName}`, property: column.propertyName, value: columnReader(ds, column) }));
  // As TypeORM's own hydration does (entitySkipConstructor): no constructor, whose field initialisers would make a UUID.
  const create = () => metadata.create(undefined, { fromDeserializer: true }) as Pick<T, K>;
  return {
    select: columns.map(({ column, key }) => `${q(alias)}.${q(column.databaseName)} AS ${q(key)}`).join(', '),
    read: (row) => {
      const entity = create();
      for (const { key, property, value } of columns) (entity as Record<string, unknown>)[property] = value(row[key]);
      return entity;
    },
    keyOf: (propertyName) => {
      const found = columns.find(({ column }) => column.propertyName === propertyName);
      if (!found) throw new Error(`${metadata.name} has no selected column ${propertyName}`);
      return found.key;
    },
    indexOf: (propertyName) => {
      const index = columns.findIndex(({ column }) => column.propertyName === propertyName);
      if (index < 0) throw new Error(`${metadata.name} has no selected column ${propertyName}`);
      return index;
    },
    width: columns.length,
    readAt: (row, offset) => {
      const entity = create();
      for (let i = 0; i < columns.length; i++) (entity as Record<string, unknown>)[columns[i].property] = columns[i].value(row[offset + i]);
      return entity;
    },
  };
}

/** Column types that neither driver converts when reading: prepareHydratedValue returns them as they came. */
const READ_AS_IS = new Set<unknown>(['varchar', 'uuid', 'text', 'integer']);

/**
 * How one column's raw value becomes its property's value, decided once: as read for the
 * types TypeORM leaves alone, SQLite timestamps by sqliteTimestamp, the rest (booleans,
 * PostgreSQL's dates, JSON, transformers) by TypeORM's own driver.prepareHydratedValue.
 */
export function columnReader(ds: DataSource, column: ColumnMetadata): (raw: unknown) => unknown {
  if (!column.transformer && READ_AS_IS.has(column.type)) return (raw) => raw;
  if (!column.transformer && column.type === 'datetime' && ds.options.type === 'better-sqlite3') {
    return (raw) => (typeof raw === 'string' && sqliteTimestamp(raw)) || ds.driver.prepareHydratedValue(raw, column);
  }
  return (raw) => ds.driver.prepareHydratedValue(raw, column);
}

/**
 * A timestamp column's raw value as `toISOString()` writes it, without a Date in between
 * when the text is in the one form each database writes (SQLite: TypeORM's UTC form;
 * PostgreSQL: its timestamptz text, as the audit page's statement gives `created_at::text`);
 * anything else through columnReader.
 */
export function isoTimestampReader(ds: DataSource, column: ColumnMetadata): (raw: unknown) => string {
  const read = columnReader(ds, column);
  const fast = ds.options.type === 'postgres' ? pgTimestamptzIso : sqliteTimestampIso;
  return (raw) => (typeof raw === 'string' && fast(raw)) || (read(raw) as Date).toISOString();
}
