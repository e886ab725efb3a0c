import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * Writes `.gz` and `.br` twins of the text assets; the server sends them to browsers that accept the encoding
 * (@fastify/static `preCompressed`), so the login page loads well under its 300 KB budget.
 */
function precompress(): Plugin {
  const gz = promisify(gzip);
  const br = promisify(brotliCompress);
  return {
    name: 'sharpeye-precompress',
    apply: 'build',
    async writeBundle(opts, bundle) {
      const dir = opts.dir ?? outDir;
      await Promise.all(
        Object.entries(bundle).map(async ([name, out]) => {
          if (!/\.(js|css|html|svg|json)$/.test(name)) return;
          const data = Buffer.from(out.type === 'chunk' ? out.code : out.source);
          if (data.length < 1024) return;
          const file = path.join(dir, name);
          await writeFile(`${file}.gz`, await gz(data, { level: 9 }));
          await writeFile(`${file}.br`, await br(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length } }));
        }),
      );
    },
  };
}

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));
/** API server the dev server proxies to (override with SHARPEYE_DEV_API). */
const apiTarget = process.env.SHARPEYE_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [vue(), precompress()],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': {
        target: apiTarget,
        changeOrigin: true,
        ws: true,
      },
    },
  },
});
