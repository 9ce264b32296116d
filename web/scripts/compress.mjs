// Writes brotli and gzip variants of every text and wasm file in dist/, which the server
// sends to browsers that accept them. Prints the transfer sizes.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = new URL("../dist/", import.meta.url).pathname;
const compressible = /\.(js|mjs|css|html|wasm|json|webmanifest|svg|txt)$/;
let raw = 0;
let br = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
      continue;
    }
    if (!compressible.test(name)) continue;
    const bytes = readFileSync(path);
    const b = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    writeFileSync(path + ".br", b);
    writeFileSync(path + ".gz", gzipSync(bytes, { level: 9 }));
    if (/\.(js|wasm)$/.test(name)) {
      raw += bytes.length;
      br += b.length;
    }
  }
}
walk(root);
console.log(
  `JS + wasm: ${(raw / 1024).toFixed(0)} KiB, ${(br / 1024).toFixed(0)} KiB over the wire (brotli)`,
);
