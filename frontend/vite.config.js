// Builds frontend/src into src/tagscape/web/static/dist/ (explorer.js + explorer.css), which the
// Flask page loads. The output is git-ignored and made by `make install`.
import { defineConfig } from 'vite';

export default defineConfig({
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
