import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web UI: built into dist/ui, which the API serves at `/` (no CDN: everything is bundled). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // Pages are read where the service runs, often without internet: one small bundle, no external fonts.
    assetsInlineLimit: 0,
  },
});
