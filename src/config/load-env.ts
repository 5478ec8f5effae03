import { existsSync } from 'node:fs';

/**
 * Reads ./.env (if there is one) into the environment before any other module loads:
 * entity files pick their column types from DATABASE_URL when they are imported, so the
 * file must be read first. Variables already set in the environment win.
 */
if (existsSync('.env')) process.loadEnvFile('.env');
