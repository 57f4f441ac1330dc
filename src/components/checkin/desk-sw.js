// The check-in desk's service worker (decision 31). It keeps the desk page and its assets so that a
// reload during a network cut still opens the desk; it never keeps attendees' data (the page holds
// those, encrypted, in IndexedDB) and never answers a scan: the page queues scans itself.
/* global self, caches, fetch, URL */
const SCOPE = __SCOPE__;
const CACHE = "forum-desk-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  // The page keeps the page itself and its assets (it knows them); "erase" at sign-out and end of day.
  if (event.data && event.data.type === "erase") event.waitUntil(caches.delete(CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === SCOPE || url.pathname === SCOPE + "/")) {
    // The network first (the server decides who may see the desk); the kept page only when it fails.
    event.respondWith(
      fetch(request).catch(() =>
        caches
          .open(CACHE)
          .then((cache) => cache.match(SCOPE, { ignoreSearch: true, ignoreVary: true }))
          .then((kept) => kept || Response.error()),
      ),
    );
    return;
  }
  if (url.pathname === "/theme.css") {
    // The edition's colours: the network first, the kept copy when it fails.
    event.respondWith(
      fetch(request).catch(() =>
        caches
          .open(CACHE)
          .then((cache) => cache.match(request))
          .then((kept) => kept || Response.error()),
      ),
    );
    return;
  }
  if (url.pathname.startsWith("/_astro/")) {
    // Built assets have their hash in their name: once kept, always right.
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then(
          (kept) =>
            kept ||
            fetch(request).then((response) => {
              if (response.ok) cache.put(request, response.clone());
              return response;
            }),
        ),
      ),
    );
  }
});
