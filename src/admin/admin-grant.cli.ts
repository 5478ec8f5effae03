import 'reflect-metadata';
import '../config/load-env';
import { NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, databaseConfig, validateAllConfig } from '../config/configuration';
import { assertDatabaseAvailable } from '../database/data-source';
import { AdminCliModule } from './admin-cli.module';
import { AdminRoleService } from './admin-role.service';

/**
 * `npm run admin:grant -- <email>`: gives an existing account the admin role, on the
 * same configuration (.env, DATABASE_URL, …) as the service. Prints one line; exits
 * 0 on success, 1 for an unknown email or a failure, 2 for a usage error.
 */
async function main(args: string[]): Promise<number> {
  const email = args[0];
  if (!email || args.length > 1) {
    console.error('Usage: npm run admin:grant -- <email>');
    return 2;
  }
  validateAllConfig();
  // On SQLite: a file another process holds is said in one line, before Nest starts.
  assertDatabaseAvailable(databaseConfig());
  const app = await NestFactory.createApplicationContext(AdminCliModule, { logger: ['error'] });
  try {
    const { user, changed } = await app.get(AdminRoleService).grantByEmail(email);
    console.log(changed ? `Granted the admin role to ${user.email} (${user.id})` : `${user.email} (${user.id}) already has the admin role`);
    return 0;
  } catch (error) {
    if (error instanceof NotFoundException) {
      console.error(`No account with the email ${email.trim().toLowerCase()}`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `admin:grant failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
