/* Web Push from the settings page: permission only after the customer's click, then the
   browser's PushSubscription.toJSON() goes to POST /api/push/subscriptions (session cookie). */
"use strict";
window.marketuPush = {
  async subscribe() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return "unsupported";
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return "denied";
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
  },
};
