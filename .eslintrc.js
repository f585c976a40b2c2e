// ESLint of the JupyterLab extension template (typescript-eslint + prettier).
module.exports = {
  root: true,
  env: { browser: true, es2020: true, node: true },
  extends: [
    'eslint:recommended',
    'plugin:@typescript-eslint/eslint-recommended',
    'plugin:@typescript-eslint/recommended',
    'plugin:prettier/recommended'
  ],
  parser: '@typescript-eslint/parser',
  parserOptions: { ecmaVersion: 2020, sourceType: 'module' },
  plugins: ['@typescript-eslint'],
  ignorePatterns: ['lib/', 'labextension/', 'node_modules/', 'coverage/', '**/*.d.ts', 'src/generated/'],
  rules: {
    '@typescript-eslint/naming-convention': [
      'error',
      {
        selector: 'interface',
        format: ['PascalCase'],
        custom: { regex: '^I[A-Z]', match: true }
      }
    ],
    '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
    '@typescript-eslint/no-namespace': 'off',
    '@typescript-eslint/no-use-before-define': 'off',
    curly: ['error', 'all'],
    eqeqeq: 'error',
    'no-restricted-properties': [
      'error',
      {
        property: 'innerHTML',
        message: 'Render text with textContent; untrusted HTML goes through ISanitizer.'
      }
    ],
    'prefer-arrow-callback': 'error'
  }
};
