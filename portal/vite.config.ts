// Builds the portal into dist/ui, which the manager serves under /ui/ (src/portal/routes.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { composeSchema } from './compose-schema.ts';
import { precompress } from './precompress.ts';

const outDir = fileURLToPath(new URL('../dist/ui', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  plugins: [react(), composeSchema(), precompress(outDir)],
  build: {
    outDir,
    emptyOutDir: true,
    // The manager compresses and caches every file; source maps would double what it holds.
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  // `npm run portal:dev` proxies the API to a manager on loopback.
  server: { proxy: { '^/(?!ui/)': { target: process.env.BERTH_MANAGER ?? 'http://127.0.0.1:7420', ws: true } } },
});
