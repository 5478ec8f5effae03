import { InitialSchema1732300000000 } from './1732300000000-initial-schema';

/** Every migration, in order. A new schema change is a new file listed here. */
export const MIGRATIONS = [InitialSchema1732300000000];
