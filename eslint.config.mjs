// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.mjs', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through the typed config (src/config).' },
      ],
    },
  },
  {
    // Node 20's V8 builds an object literal in which anything follows a spread
    // (`{ ...a, b }`, `{ ...a, ...b }`) through a slow runtime path: 2-3.6 µs a literal
    // against 20-60 ns for `{ ...a }`, `{ b, ...a }` or Object.assign (bench/README.md,
    // "fourth pass"). The user mappers did it three times on every GET /api/auth/me.
    // (start-up code that builds the configuration once is exempt)
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts', 'src/database/data-source.ts', 'src/database/database.module.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement ~ *',
          message: 'Nothing may follow a spread in an object literal (slow in V8 11): use Object.assign({}, a, { b }).',
        },
      ],
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'src/**/*.spec.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
