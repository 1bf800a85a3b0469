// Flat config: typescript-eslint's recommended rules without type information (fast on 2 cores).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'bench/results/**',
      '**/fixtures/**',
      '.gpu/**',
      '.gl/**',
      '.e2e/**',
      '.e2e-work/**',
      'runs/**',
      '.kvc-demo/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        globalThis: 'readonly',
        setImmediate: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // tfjs draws random tensors in JavaScript on the host and uploads them: LoRA dropout through tf.dropout made
    // the seed's stage-2 step 26× slower on an H200 (bench/results/2026-11-28-seed-e2e-h200.md). Library code
    // draws masks with hashDropout; tests, benches and the small start-up self-tests may draw.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['dropout', 'randomUniform', 'randomNormal', 'truncatedNormal', 'randomGamma', 'multinomial'].map(
          (property) => ({
            object: 'tf',
            property,
            message: 'draws on the host in JavaScript; use hashDropout (nn/hash-dropout.ts) or SeededRandom',
          }),
        ),
      ],
    },
  },
);
