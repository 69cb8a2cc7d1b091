/* Marketu offline view and update offer (plain JS, loaded from <head> with defer).

   - Saves the rendered <main> of "/" and "/parcel/<n>" (HTML plus the emotion CSS rules it uses) to
     localStorage, per session and path, whenever it changes. A session is named by its marker: the
     `marketu_signed_in` cookie set at sign-in (marketu_app/web/cookies.py), which main[data-customer] repeats.
   - Nothing of one session outlives it here: the snapshots are wiped as soon as the marker is missing or
     differs from theirs (signed out, expired: the cookie expires with the session, another customer signed
     in), when the page shows that the session ended elsewhere (.session-ended), and a snapshot is shown only
     under the marker it was saved with.
   - When the browser is offline or Reflex cannot reach the backend (its connection pulser shows), it shows
     "Нет соединения: данные на 14:32" and, if the page has no live data, the last snapshot in place of <main>.
   - Back online it reloads a page that showed a snapshot; a live page just drops the banner.
   - window.marketuSnapshot.wipe() (a session ended) removes every snapshot and the marker; window.marketuUpdates(reg) is called by
     the service worker registration and offers "Доступна новая версия: обновить". */
(function () {
  "use strict";
  var PREFIX = "marketu:snap:";
  var LAST = PREFIX + "last";  // the marker of the session the snapshots belong to
  var MARKER = "marketu_signed_in";
  var MAX_PAGES = 20;          // snapshots kept per customer (the oldest go first)
  var TEXTS = {
    ru: { offline: "Нет соединения", at: "данные на", update: "Доступна новая версия:", reload: "обновить" },
    kk: { offline: "Байланыс жоқ", at: "деректер уақыты", update: "Жаңа нұсқа бар:", reload: "жаңарту" },
    en: { offline: "No connection", at: "data as of", update: "A new version is available:", reload: "update" }
  };
  var saveTimer = null, renderTimer = null, showingSnapshot = false, wiped = false, saved = {};

  function texts() {
    var lang = (localStorage.getItem("marketu_locale") || "ru").replace(/"/g, "");
    return TEXTS[lang] || TEXTS.ru;
  }

  // The marker of the session signed in on this browser now ("" when none).
  function marker() {
    var m = document.cookie.match(/(?:^|;\s*)marketu_signed_in=([A-Za-z0-9]+)/);
    return m ? m[1] : "";
  }

  // Snapshots of another session (or of none) go as soon as this page sees it.
  function checkMarker() {
    var stored = localStorage.getItem(LAST), now = marker();
    if (document.querySelector(".session-ended")) { if (stored || now) window.marketuSnapshot.wipe(); }
    else if (stored && stored !== now) wipe();
  }

  function pagePath() {
    var path = location.pathname.replace(/\/+$/, "") || "/";
    return path === "/" || /^\/parcel\/[^/]+$/.test(path) ? path : null;
  }

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function snapshotKeys(customer) {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf(PREFIX) === 0 && (!customer || key.indexOf(PREFIX + customer + ":") === 0)) keys.push(key);
    }
    return keys;
  }

  // Reflex's ConnectionPulser renders a wifi-off icon under div[title^="Connection Error"] while it cannot connect.
  function down() {
    return !navigator.onLine || !!document.querySelector('[title^="Connection Error"] svg');
  }

  // A live page worth keeping: hydrated for a customer, not loading, not an error or an ended session.
  function liveMain() {
    var main = document.querySelector("main");
    if (!main || !main.getAttribute("data-customer")) return null;
    if (main.querySelector('[aria-busy="true"], .session-ended, .lucide-cloud-off')) return null;
    return main;
  }

  // The emotion rules (class css-*) the snapshot uses: without them the saved markup loses its layout.
  function cssFor(root) {
    var used = {};
    [root].concat([].slice.call(root.querySelectorAll("[class]"))).forEach(function (el) {
      el.classList.forEach(function (c) { if (c.indexOf("css-") === 0) used[c] = true; });
    });
    var out = [];
    if (!Object.keys(used).length) return "";
    [].forEach.call(document.styleSheets, function (sheet) {
      var owner = sheet.ownerNode;
      if (!owner || !owner.hasAttribute || !owner.hasAttribute("data-emotion")) return;
      var rules;
      try { rules = sheet.cssRules; } catch (e) { return; }
      [].forEach.call(rules, function (rule) {
        // The selector (of the rule, or of the first rule inside @media) is cheap to read; cssText is
        // serialised only for the rules kept.
        var inner = rule.selectorText ? rule : rule.cssRules && rule.cssRules[0];
        var m = inner && /\.(css-[a-z0-9]+)/.exec(inner.selectorText || "");
        if (m && used[m[1]]) out.push(rule.cssText);
      });
    });
    return out.join("\n");
  }

  function write(customer, key, value) {
    var json = JSON.stringify(value);
    for (var attempt = 0; attempt < 3; attempt++) {
      try { localStorage.setItem(key, json); break; } catch (e) {
        // Quota: drop the oldest snapshots and try again.
        snapshotKeys().filter(function (k) { return k !== LAST; }).map(function (k) { return [k, (read(k) || {}).at || 0]; })
          .sort(function (a, b) { return a[1] - b[1]; }).slice(0, 5).forEach(function (p) { localStorage.removeItem(p[0]); });
      }
    }
    var mine = snapshotKeys(customer);
    if (mine.length > MAX_PAGES) {  // only then are the snapshots parsed, for their times
      mine.map(function (k) { return [k, (read(k) || {}).at || 0]; })
        .sort(function (a, b) { return a[1] - b[1]; }).slice(0, mine.length - MAX_PAGES)
        .forEach(function (p) { localStorage.removeItem(p[0]); });
    }
  }

  function save() {
    saveTimer = null;
    var path = pagePath(), main = liveMain();
    if (wiped || !path || !main || down()) return;
    var customer = main.getAttribute("data-customer");
    if (customer !== marker()) return;  // a page of a session this browser no longer holds
    var clone = main.cloneNode(true);
    clone.querySelectorAll(".live-toast-wrap, script").forEach(function (n) { n.remove(); });
    var key = PREFIX + customer + ":" + path, html = clone.innerHTML;
    localStorage.setItem(LAST, customer);
    // What this page saved last is kept in memory: no need to parse the stored snapshot to compare.
    var old = saved[key] || read(key);
    if (old && old.html === html && Date.now() - old.at < 60000) return;
    var snap = { html: html, cls: main.className, css: cssFor(clone), at: Date.now() };
    write(customer, key, snap);
    saved[key] = snap;
  }

  function timeOf(at) {
    var d = new Date(at), now = new Date();
    var time = d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
    return d.toDateString() === now.toDateString() ? time
      : d.toLocaleDateString("ru-RU", { day: "2-digit", month: "2-digit" }) + " " + time;
  }

  function place(node, where) {
    if (node.isConnected) return;
    var main = document.querySelector("main");
    if (main) main[where](node); else document.body.prepend(node);
  }

  function element(id, tag, className) {
    var el = document.getElementById(id);
    if (!el) { el = document.createElement(tag); el.id = id; el.className = className; }
    return el;
  }

  function clear() {
    ["marketu-offline-banner", "marketu-snapshot", "marketu-snapshot-css"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.remove();
    });
    document.documentElement.classList.remove("marketu-snapshot-on");
  }

  function render() {
    renderTimer = null;
    if (!down()) {
      clear();
      if (showingSnapshot) { showingSnapshot = false; location.reload(); }
      return;
    }
    checkMarker();
    var path = pagePath(), live = liveMain(), customer = marker();
    // Only the snapshot of the session signed in now, whatever this device kept.
    var snap = path && customer && localStorage.getItem(LAST) === customer ? read(PREFIX + customer + ":" + path) : null;
    var t = texts();
    var banner = element("marketu-offline-banner", "div", "marketu-offline-banner");
    banner.setAttribute("role", "status");
    banner.textContent = snap ? t.offline + ": " + t.at + " " + timeOf(snap.at) : t.offline;
    if (!live && snap) {
      var box = element("marketu-snapshot", "div", "");
      if (!box.isConnected) {
        box.className = (snap.cls || "") + " marketu-snapshot";
        box.innerHTML = snap.html;
        var style = element("marketu-snapshot-css", "style", "");
        style.textContent = snap.css || "";
        document.head.appendChild(style);
      }
      document.documentElement.classList.add("marketu-snapshot-on");
      place(box, "after");
      showingSnapshot = true;
    }
    place(banner, "before");
  }

  // Only after React has hydrated <main>: nodes added earlier would break hydration.
  function hydrated() {
    var main = document.querySelector("main");
    return !main || Object.keys(main).some(function (k) { return k.indexOf("__reactFiber") === 0; });
  }

  function schedule() {
    // Saving serialises <main> and scans the CSS rules: leave it for idle time, off the loading path.
    if (!saveTimer) saveTimer = setTimeout(function () { idle(save); }, 1500);
    if (!renderTimer) renderTimer = setTimeout(function again() {
      if (!hydrated() && Date.now() - started < 8000) { renderTimer = setTimeout(again, 200); return; }
      render();
    }, 300);
  }

  function idle(fn) {
    if (window.requestIdleCallback) window.requestIdleCallback(fn, { timeout: 3000 }); else fn();
  }

  function offerUpdate(worker) {
    if (document.getElementById("marketu-update")) return;
    var t = texts(), bar = element("marketu-update", "div", "marketu-update");
    bar.setAttribute("role", "status");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = t.reload;
    button.addEventListener("click", function () {
      asked = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    });
    bar.append(t.update + " ", button);
    document.body.appendChild(bar);
  }

  var asked = false, started = Date.now();
  window.marketuUpdates = function (reg) {
    function offer(worker) { if (worker && navigator.serviceWorker.controller) offerUpdate(worker); }
    offer(reg.waiting);
    reg.addEventListener("updatefound", function () {
      var worker = reg.installing;
      if (worker) worker.addEventListener("statechange", function () { if (worker.state === "installed") offer(worker); });
    });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (asked) { asked = false; location.reload(); }
    });
  };

  function wipe() {
    wiped = true;
    clearTimeout(saveTimer);
    saveTimer = null;
    snapshotKeys().forEach(function (k) { localStorage.removeItem(k); });
    saved = {};
    clear();
    showingSnapshot = false;
  }

  window.marketuSnapshot = {
    wipe: function () {
      wipe();
      // The session is over: its marker goes too (the HttpOnly session cookie is the server's to clear).
      document.cookie = MARKER + "=; Max-Age=0; path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    },
    save: save
  };

  function start() {
    checkMarker();
    new MutationObserver(function () {
      checkMarker();
      // A page signed in again after a wipe saves again.
      if (wiped && liveMain() && marker()) wiped = false;
      schedule();
    }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-customer", "aria-busy"] });
    window.addEventListener("online", schedule);
    window.addEventListener("offline", schedule);
    schedule();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
