/* Web Push from the settings page: permission only after the customer's click, then the
   browser's PushSubscription.toJSON() goes to POST /api/push/subscriptions (session cookie).

   The click is handled here, in the click itself (not through the app's socket, which is down
   while offline). Offline, or when the server cannot be reached, the page says so at once
   (#nf-push-note, in the page's language) and the subscription completes by itself when the
   connection is back (the `online` event, or a retry every RETRY_MS); a page closed meanwhile
   leaves a mark, and the next page opened online completes it. The page's own button handler
   (rx.call_function -> subscribe) waits for the same attempt and reports its status. */
"use strict";
(() => {
  const PENDING = "marketu-push-pending";
  const RETRY_MS = 15000;

  function note(which) {
    const el = document.getElementById("nf-push-note");
    if (el) el.textContent = which ? el.dataset[which] || "" : "";
  }

  function whenOnlineAgain() {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, RETRY_MS);
      window.addEventListener("online", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  async function attempt() {  // throws TypeError when the network fails
    const key = await fetch("/api/push/key", { credentials: "same-origin" });
    if (!key.ok) return String(key.status);
    const { publicKey } = await key.json();
    const raw = atob(publicKey.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - publicKey.length % 4) % 4));
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: Uint8Array.from(raw, (c) => c.charCodeAt(0)),
    });
    const response = await fetch("/api/push/subscriptions", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
    return String(response.status);
  }

  async function run() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return "unsupported";
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return "denied";
    for (;;) {
      if (navigator.onLine) {
        try {
          const status = await attempt();
          localStorage.removeItem(PENDING);
          note("");
          return status;
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;  // only a network failure is retried
        }
      }
      localStorage.setItem(PENDING, "1");
      note("offline");
      await whenOnlineAgain();
    }
  }

  let running = null;  // the attempt under way
  let clicked = null;  // the attempt the last click started, until the page's handler takes it
  window.marketuPush = {
    start() {
      if (!running) running = run().finally(() => { running = null; });
      return running;
    },
    subscribe() {  // the page's button handler (runs once the socket is up): the click's attempt
      const attempt = clicked || this.start();
      clicked = null;
      return attempt;
    },
  };

  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest(".nf-push-subscribe")) {
      clicked = window.marketuPush.start();
      clicked.catch(() => {});
    }
  }, true);

  // A subscription left unfinished offline (the page was closed): finished on a later page.
  window.addEventListener("load", () => {
    if (localStorage.getItem(PENDING) && "Notification" in window && Notification.permission === "granted") {
      window.marketuPush.start().catch(() => {});
    }
  });
})();
