// Builds the notebook widget (src/widget.js) into src/tagscape/web/static/widget/widget.js: one ES
// module with everything inlined, as anywidget loads it (from a string, so it cannot import
// chunks by relative URL). Its own folder: the explorer's build (vite.config.js) empties dist/.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: '../src/tagscape/web/static/widget',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    lib: { entry: 'src/widget.js', formats: ['es'], fileName: () => 'widget.js' },
    rollupOptions: { output: { inlineDynamicImports: true, assetFileNames: 'widget[extname]' } },
  },
});
