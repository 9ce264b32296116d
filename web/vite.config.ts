// The web app's build: one small module graph (Preact), the wasm core as a hashed asset, and
// the service worker as its own entry with the list of files it keeps for offline use.
import { readdirSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";

/** Writes the names of the built files into the service worker, so it can keep them. */
function precacheList(): Plugin {
  return {
    name: "kontor-precache",
    generateBundle(_options, bundle) {
      const icons = readdirSync("public/icons").map((f) => `/icons/${f}`);
      const files = Object.keys(bundle)
        .filter((f) => f !== "sw.js" && !f.endsWith(".map"))
        .map((f) => "/" + f)
        .concat(icons);
      const sw = bundle["sw.js"];
      if (sw && sw.type === "chunk") {
        // The minifier may have changed the quotes.
        sw.code = sw.code.replace(/["'`]__PRECACHE__["'`]/, JSON.stringify(["/", ...files]));
      }
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      input: { app: "index.html", sw: "src/sw.ts" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
  plugins: [precacheList()],
  server: { proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } } },
});
