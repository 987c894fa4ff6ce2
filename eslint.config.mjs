// The lint that keeps two promises of docs/architecture.md: no floating promise that can reject, and the layers
// (cli and extension → client → shared; host → shared; nothing imports host; only extension imports vscode).
import * as path from 'node:path';
import tseslint from 'typescript-eslint';

/** Which layers each layer may import (its own included). */
const LAYERS = {
  shared: ['shared'],
  client: ['client', 'shared'],
  host: ['host', 'shared'],
  cli: ['cli', 'client', 'shared'],
  extension: ['extension', 'client', 'shared'],
};
// From this file, not the working folder: an editor may run eslint from anywhere.
const SRC = path.join(import.meta.dirname, 'src');

function layerOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(path.sep)[0];
}

/** Flags an import that points the wrong way between layers, and `vscode` outside the extension. */
const layersRule = {
  meta: { type: 'problem', schema: [], messages: { wrongWay: '{{from}} may not import {{to}} ({{spec}}): layers point one way (docs/architecture.md)', vscode: 'only src/extension may import vscode' } },
  create(context) {
    const from = layerOf(context.filename);
    if (!from || !LAYERS[from]) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      if (spec === 'vscode') {
        if (from !== 'extension') context.report({ node, messageId: 'vscode' });
        return;
      }
      if (!spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), spec));
      if (to && !LAYERS[from].includes(to)) context.report({ node, messageId: 'wrongWay', data: { from, to, spec } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      TSImportEqualsDeclaration: (node) => node.moduleReference.type === 'TSExternalModuleReference' && check(node, node.moduleReference.expression.value),
      'CallExpression[callee.name="require"]': (node) => node.arguments[0]?.type === 'Literal' && check(node, node.arguments[0].value),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/**', 'bench/**', 'scripts/**', '*.mjs'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin, sharedMcp: { rules: { layers: layersRule } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `void p` is no excuse: a promise that can reject needs a handler (ignoreVoid: false).
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: true, attributes: false, properties: true, returns: false, variables: false } }],
      'sharedMcp/layers': 'error',
    },
  },
);
