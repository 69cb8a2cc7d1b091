/* Marketu service worker: the app shell offline, hashed assets cache-first, pages network-first.
   Registered as /sw.js?v=<build id> (marketu_app/components/pwa.py): a new build is a new worker. */
"use strict";

const VERSION = new URL(self.location.href).searchParams.get("v") || "dev";
const SHELL_CACHE = `marketu-shell-${VERSION}`;
const ASSET_CACHE = `marketu-assets-${VERSION}`;
// Prerendered pages and the static files the shell needs; /404.html is the SPA fallback (/parcel/*).
const SHELL_URLS = ["/", "/statuses", "/login", "/404.html", "/manifest.json", "/offline.js", "/styles.css",
  "/favicon.ico", "/icon-192.png"];
// Live data and Reflex's own endpoints: never cached, never answered by the worker.
const BYPASS = /^\/(_event|_upload|api|ping|_health)(\/|$)/;
const NAV_TIMEOUT_MS = 3000;

// Hashed build files named by a page: its modulepreloads, stylesheet and module entry.
function assetsOf(html) {
  return [...new Set([...html.matchAll(/["(](\/assets\/[^"')\s]+\.(?:js|css))/g)].map((m) => m[1]))];
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    // Without cookies: the pages as anyone gets them, never a signed-in customer's own (see `keepable`).
    await shell.addAll(SHELL_URLS.map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
    const html = await (await shell.match("/")).text();
    const fallback = await (await shell.match("/404.html")).text();
    await (await caches.open(ASSET_CACHE)).addAll([...new Set([...assetsOf(html), ...assetsOf(fallback)])]);
  })());
  // No skipWaiting here: the page asks for it when the customer taps "update".
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, ASSET_CACHE]);
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("marketu-") && !keep.has(n)).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(ASSET_CACHE)).put(request, response.clone());
  return response;
}

async function cachedShell(url) {
  const shell = await caches.open(SHELL_CACHE);
  return (await shell.match(url, { ignoreSearch: true }))
    || (url.pathname === "/" ? undefined : await shell.match("/404.html"))
    || shell.match("/");
}

// A signed-in customer's page carries their cards (marketu_app/first_cards.py) and says `no-store`:
// nothing of it is kept on the device, so nothing of it outlives the session (the cached shell serves offline).
function keepable(response) {
  return (response.ok || response.status === 404) && !/no-store|private/.test(response.headers.get("cache-control") || "");
}

// Network first; after NAV_TIMEOUT_MS (or a network error) the cached page or shell.
async function navigate(request) {
  const url = new URL(request.url);
  const network = fetch(request).then(async (response) => {
    // /parcel/* comes back as the SPA fallback with status 404: still the right page to keep.
    if (keepable(response)) {
      (await caches.open(SHELL_CACHE)).put(url.pathname, response.clone());
    }
    return response;
  });
  network.catch(() => {});  // a late failure after the timeout is already answered from the cache
  const timeout = new Promise((resolve) => setTimeout(resolve, NAV_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    return (await cachedShell(url)) || (await network);
  } catch (error) {
    const cached = await cachedShell(url);
    if (cached) return cached;
    throw error;
  }
}

async function networkThenCache(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || BYPASS.test(url.pathname)) return;
  if (request.mode === "navigate") event.respondWith(navigate(request));
  else if (url.pathname.startsWith("/assets/")) event.respondWith(cacheFirst(request));
  else event.respondWith(networkThenCache(request));
});

// Web Push: always show a notification (iOS revokes silent pushes); the payload is
// {"title", "body", "url", "tag"} (marketu_app/notify/dispatch.py). A newer one replaces an older by tag.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data && event.data.text() }; }
  const url = typeof data.url === "string" ? data.url : "/";
  event.waitUntil(self.registration.showNotification(data.title || "Marketu", {
    body: data.body || "", tag: data.tag || "marketu", data: { url }, icon: "/icon-192.png", badge: "/icon-192.png",
  }));
});

// A click opens the parcel: in an open tab of the site when there is one, else in a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const tab of tabs) {
      if (new URL(tab.url).origin !== self.location.origin || !("navigate" in tab)) continue;
      try {
        const opened = await tab.navigate(url);  // only a tab this worker controls can be navigated
        if (opened) {
          await opened.focus().catch(() => {});
          return;
        }
      } catch (error) { /* not controlled: try the next tab, else a new window */ }
    }
    await self.clients.openWindow(url);
  })());
});
