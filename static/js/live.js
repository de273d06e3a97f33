// ChefShop live pages: keeps every websocket healed and every pushed fragment in order.
// The server pushes out-of-band fragments (see chefshop/live.py); htmx-ext-ws swaps them in.
(function () {
  "use strict";
  // htmx-ext-ws retries by itself only after these close codes; we retry after every other one
  // (daphne closes with 1000 at its websocket timeout, and handshakes refused while Redis is down).
  var EXTENSION_RETRIES = [1006, 1011, 1012, 1013];
  var retries = new WeakMap();

  function backoff(attempt) {
    var cap = Math.min(1000 * Math.pow(2, Math.min(attempt, 4)), 15000);
    return cap / 2 + Math.random() * (cap / 2);  // jittered: pages do not reconnect in lockstep
  }
  htmx.config.wsReconnectDelay = backoff;
  // A 409 (someone else acted first) carries the fresh state: swap it in like a success.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409", swap: true },
    { code: "400", swap: true },
    { code: "[45]..", swap: false, error: true },
  ];

  // "Confirmed 5 minutes ago" keeps counting without a push.
  function refreshSince() {
    var now = Date.now();
    document.querySelectorAll("time[data-since]").forEach(function (el) {
      var minutes = Math.max(0, Math.floor((now - Date.parse(el.getAttribute("datetime"))) / 60000));
      el.textContent = minutes < 1 ? "just now" : minutes === 1 ? "1 minute ago" : minutes + " minutes ago";
    });
  }
  setInterval(refreshSince, 30000);

  // The undo window's countdown on the order page; the server pushes "confirmed" when it ends.
  function refreshCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown-until]").forEach(function (el) {
      var left = Math.max(0, Math.ceil((Date.parse(el.dataset.countdownUntil) - now) / 1000));
      el.textContent = left + (left === 1 ? " second" : " seconds");
    });
  }
  setInterval(refreshCountdowns, 1000);
  document.addEventListener("htmx:load", refreshCountdowns);
  document.addEventListener("htmx:load", refreshSince);

  function setState(state) {
    var label = { live: "Live", reconnecting: "Reconnecting…", connecting: "Connecting…" }[state];
    document.querySelectorAll(".live-indicator").forEach(function (el) {
      el.dataset.state = state;
      el.textContent = label;
    });
  }

  function fillCsrf(root) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta) return;
    (root || document).querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      if (!input.value) input.value = meta.content;
    });
  }

  document.addEventListener("htmx:wsConnecting", function () { setState("connecting"); });
  document.addEventListener("htmx:wsOpen", function (event) {
    retries.set(event.target, 0);
    setState("live");
  });
  document.addEventListener("htmx:wsClose", function (event) {
    setState("reconnecting");
    var code = event.detail.event.code;
    var elt = event.target;
    if (EXTENSION_RETRIES.indexOf(code) >= 0 || !document.body.contains(elt)) return;
    var attempt = (retries.get(elt) || 0) + 1;
    retries.set(elt, attempt);
    setTimeout(function () {
      if (document.body.contains(elt)) event.detail.socketWrapper.reconnect();
    }, backoff(attempt));
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var incoming = event.detail.fragment.firstElementChild;
    if (!incoming) return;
    var shown = Number(target.dataset.version);
    var arriving = Number(incoming.dataset.version);
    if (target.dataset.version && incoming.dataset.version && arriving < shown) {
      event.detail.shouldSwap = false;  // older than what the page shows
      return;
    }
    // Keep the customer's slot choice across a push; tell them if that slot is gone.
    var chosen = target.querySelector('input[type="radio"]:checked');
    if (chosen) {
      var replacement = incoming.querySelector('input[type="radio"][name="' + chosen.name + '"]');
      if (replacement && !replacement.disabled) {
        replacement.setAttribute("checked", "checked");
      } else {
        var lost = document.getElementById("slot-lost");
        if (lost) {
          lost.hidden = false;
          lost.focus && lost.setAttribute("tabindex", "-1");
        }
      }
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) { fillCsrf(event.target); });
  document.addEventListener("change", function (event) {
    if (event.target.name === "slot") {
      var lost = document.getElementById("slot-lost");
      if (lost) lost.hidden = true;
    }
  });
})();
