// Builds frontend/src into src/tagscape/web/static/dist/ (explorer.js + explorer.css), which the
// Flask page loads. The output is git-ignored and made by `make install`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'vite';

// /api/docs: the OpenAPI viewer (swagger-ui-dist from npm, never a CDN) and its starter script,
// copied into dist/apidocs/ so that the server and the wheel carry them.
function apiDocsViewer() {
  const viewer = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const files = {
    'swagger-ui-bundle.js': join(viewer, 'swagger-ui-bundle.js'),
    'swagger-ui.css': join(viewer, 'swagger-ui.css'),
    'LICENSE': join(viewer, 'LICENSE'),
    'NOTICE': join(viewer, 'NOTICE'),
    'apidocs.js': new URL('./src/apidocs.js', import.meta.url),
  };
  return {
    name: 'tagscape-api-docs-viewer',
    generateBundle() {
      for (const [name, path] of Object.entries(files)) this.emitFile({ type: 'asset', fileName: `apidocs/${name}`, source: readFileSync(path) });
    },
  };
}

export default defineConfig({
  plugins: [apiDocsViewer()],
  build: {
    outDir: '../src/tagscape/web/static/dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: {
      input: 'src/main.js',
      output: {
        entryFileNames: 'explorer.js',
        chunkFileNames: 'explorer-[name].js',
        assetFileNames: 'explorer[extname]',
      },
    },
  },
});
