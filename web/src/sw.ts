// The service worker: keeps the app shell (HTML, scripts, styles, the wasm core, icons) so
// the app starts without the network, and updates it in the background. The API and the
// WebSocket always go to the network: nothing of a conversation is ever cached here.
const sw = self as unknown as ServiceWorkerGlobalScope;

const FILES: string[] = "__PRECACHE__" as unknown as string[];
/** One cache per build: its name comes from the (hashed) file names. */
function version(list: string[]): string {
  let h = 5381;
  for (const c of list.join("|")) h = ((h * 33) ^ c.charCodeAt(0)) >>> 0;
  return h.toString(36);
}
const CACHE = `kontor-shell-${version(Array.isArray(FILES) ? FILES : [])}`;

sw.addEventListener("install", (e: ExtendableEvent) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(Array.isArray(FILES) ? FILES : ["/"]))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (e: ExtendableEvent) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (e: FetchEvent) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/manifest.webmanifest") return;
  if (e.request.mode === "navigate") {
    // Pages: the network first (a new version), the kept shell when offline.
    e.respondWith(
      fetch(e.request).catch(async () => (await caches.match("/")) ?? Response.error()),
    );
    return;
  }
  e.respondWith(
    caches.match(e.request).then((hit) => hit ?? fetch(e.request)),
  );
});

export {};
