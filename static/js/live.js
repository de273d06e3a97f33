// ChefShop live pages: keeps every websocket healed and applies the cards the server pushes.
//
// A frame is JSON: {"cards": [{"id", "v", "region", "html"}], "sync": [region ids]}. Each card is one
// row's element with a stable id and data-version. A card is inserted in its region in data-sort
// order, morphed in place (idiomorph: focus, typed text and choices survive), or removed (html null);
// never applied over a newer version. A frame with "sync" lists whole regions: cards it does not
// name leave them. htmx replies to a click are cards too and obey the same version rule.
(function () {
  "use strict";
  // htmx-ext-ws retries by itself only after these close codes; we retry after every other one
  // (daphne closes with 1000 at its websocket timeout, and handshakes refused while Redis is down).
  var EXTENSION_RETRIES = [1006, 1011, 1012, 1013];
  var ENDED = { 4401: "signed-out", 4403: "forbidden" };
  var ended = new WeakSet(); // sockets the server closed for good
  var retries = new WeakMap();
  var gone = {}; // card id -> version at which it left its region
  var opened = {}; // heading ids this person opened ("Show 12 orders")
  var touched = new WeakSet(); // form controls this person changed and has not submitted

  function backoff(attempt) {
    var cap = Math.min(1000 * Math.pow(2, Math.min(attempt, 4)), 15000);
    return cap / 2 + Math.random() * (cap / 2); // jittered: pages do not reconnect in lockstep
  }
  htmx.config.wsReconnectDelay = backoff;
  // A 409 (someone else acted first) and a 400 carry the fresh card with a message: swap them in.
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
    // What a deadline ends (the Undo button) goes when it passes, and what follows it shows.
    document.querySelectorAll("[data-shown-until]").forEach(function (el) {
      if (Date.parse(el.dataset.shownUntil) <= now) el.hidden = true;
    });
    document.querySelectorAll("[data-shown-after]").forEach(function (el) {
      if (Date.parse(el.dataset.shownAfter) <= now) el.hidden = false;
    });
  }
  setInterval(refreshCountdowns, 1000);

  function setState(state) {
    var label = {
      live: "Live",
      reconnecting: "Reconnecting…",
      connecting: "Connecting…",
      "signed-out": "Signed out — log in again to see live changes",
      forbidden: "No longer allowed — this page stopped updating",
    }[state];
    document.querySelectorAll(".live-indicator").forEach(function (el) {
      el.dataset.state = state;
      el.textContent = label;
    });
  }

  // Shared cards carry no per-person token: forms get this page's CSRF token when they arrive.
  function fillCsrf(root) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta || !root) return;
    root.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      if (!input.value) input.value = meta.content;
    });
  }

  function versionOf(el) {
    return Number(el.getAttribute("data-version") || 0);
  }

  function parseCard(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function isOpen(head) {
    return !!head && (head.dataset.open === "true" || opened[head.id] === true);
  }

  // A card under a heading (the orders of a slot) shows only while that heading is open here.
  function belongs(el) {
    var parent = el.getAttribute("data-parent");
    return !parent || isOpen(document.getElementById(parent));
  }

  function place(region, el) {
    var sort = el.getAttribute("data-sort") || "";
    var children = region.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      if (other !== el && (other.getAttribute("data-sort") || "") > sort) {
        if (el.nextElementSibling !== other) region.insertBefore(el, other);
        return;
      }
    }
    if (el.parentElement !== region || el.nextElementSibling) region.appendChild(el);
  }

  function keepUserState(attribute, el) {
    if (attribute === "checked" && el.type === "radio" && el.name === "slot") return false; // the customer's choice
    if (attribute === "value" && el === document.activeElement && el.type !== "hidden") return false; // being typed in
    if ((attribute === "value" || attribute === "checked") && touched.has(el)) return false;
    if (attribute === "selected" && el.parentElement && touched.has(el.parentElement)) return false;
    if (attribute === "value" && el.name === "csrfmiddlewaretoken" && el.value) return false;
    if (attribute === "open" && el.tagName === "DETAILS") return false; // a disclosure someone opened
    return true;
  }

  // A choice someone is making (a driver picked but not yet assigned) is left alone, and so is the
  // version its form was made from: sending it still meets a 409 if someone else acted first.
  function midChoice(node) {
    if (node.nodeType !== 1) return false;
    if (node.tagName === "SELECT") return touched.has(node) || node === document.activeElement;
    if (node.tagName === "INPUT" && node.name === "version" && node.form) {
      return Array.prototype.some.call(node.form.elements, function (el) { return touched.has(el); });
    }
    return false;
  }

  // Driver lists come from the page's one roster card, so a card never carries a stale list.
  function fillRosters(root) {
    var roster = document.getElementById("driver-roster");
    if (!roster || !root) return;
    root.querySelectorAll("select[data-roster]").forEach(function (select) {
      if (midChoice(select)) return;
      var current = select.dataset.current || "";
      var options = Array.prototype.slice.call(roster.content.children).map(function (o) { return o.cloneNode(true); });
      if (current && !options.some(function (o) { return o.value === current; })) {
        var keep = select.querySelector('option[value="' + current + '"]');
        if (keep) options.unshift(keep.cloneNode(true));
      }
      if (!current) {
        var choose = document.createElement("option");
        choose.value = "";
        choose.textContent = "Choose…";
        options.unshift(choose);
      }
      select.replaceChildren.apply(select, options);
      select.value = current;
    });
  }

  function morph(existing, incoming) {
    Idiomorph.morph(existing, incoming, {
      morphStyle: "outerHTML",
      // Not idiomorph's ignoreActiveValue: it leaves a focused element's children alone too, so a
      // focused "Start prepping" button would keep its label while its form moved on to the next step.
      ignoreActiveValue: false,
      callbacks: {
        beforeAttributeUpdated: function (attribute, el) { return keepUserState(attribute, el); },
        beforeNodeMorphed: function (oldNode) { return !midChoice(oldNode); },
      },
    });
  }

  function settle(el) {
    if (el.classList.contains("slot-head")) {
      el.classList.toggle("is-open", isOpen(el));
      var button = el.querySelector("button[data-open-url]");
      if (button) button.setAttribute("aria-expanded", isOpen(el) ? "true" : "false");
    }
    fillRosters(el.id === "driver-roster" ? document : el);
    fillCsrf(el);
    htmx.process(el);
    keepSlotChoice(el);
  }

  // The customer's chosen slot survives a push; if it can no longer be chosen, say so.
  function keepSlotChoice(el) {
    var radio = el.querySelector && el.querySelector('input[type="radio"][name="slot"]');
    if (radio && radio.checked && radio.disabled) {
      radio.checked = false;
      var lost = document.getElementById("slot-lost");
      if (lost) {
        lost.hidden = false;
        lost.setAttribute("tabindex", "-1");
      }
    }
  }

  // A slot heading opens as its slot comes near; it can also close again (the owner adds an earlier
  // slot), which lowers its version by one: the server's word on that is taken as it comes.
  function openedOrClosed(existing, incoming) {
    return !!incoming && existing.classList.contains("slot-head") &&
      existing.getAttribute("data-open") !== incoming.getAttribute("data-open");
  }

  function applyCard(card, sync) {
    var existing = document.getElementById(card.id);
    if (card.html === null) {
      if (existing && (card.v >= versionOf(existing))) existing.remove();
      gone[card.id] = Math.max(gone[card.id] || 0, card.v);
      return existing ? "removed" : "";
    }
    var incoming = parseCard(card.html);
    if (existing && card.v <= versionOf(existing) && !openedOrClosed(existing, incoming)) {
      // What the page shows is as new or newer; a snapshot still puts it in its place.
      var home = sync && document.getElementById(card.region);
      if (home && existing.parentElement === home) place(home, existing);
      return "";
    }
    if (!existing && !sync && gone[card.id] !== undefined && card.v <= gone[card.id]) return "";
    var region = document.getElementById(card.region);
    if (!region || !incoming) return "";
    if (!belongs(incoming)) {
      if (existing) existing.remove();
      return "";
    }
    delete gone[card.id];
    if (existing && existing.parentElement === region && incoming.tagName === "TEMPLATE") {
      existing.replaceWith(incoming); // a template's content is data, not something to morph
      settle(incoming);
      return "updated";
    }
    if (existing && existing.parentElement === region) {
      morph(existing, incoming);
      existing = document.getElementById(card.id);
      place(region, existing);
      settle(existing);
      return "updated";
    }
    if (existing) existing.remove();
    place(region, incoming);
    settle(incoming);
    return "inserted";
  }

  function applyFrame(data) {
    var sync = data.sync || [];
    var named = {};
    var inserted = [];
    var orderChanged = false;
    var refetch = [];
    (data.cards || []).forEach(function (card) {
      named[card.id] = true;
      var outcome = applyCard(card, sync.length > 0);
      if (outcome === "inserted") inserted.push(card);
      if (outcome && card.region === "order-live") orderChanged = true;
      // A heading this person opened changed: a card under it may have changed with no push reaching
      // this page (a lost push, a reconnect): fetch the slot again. Its reply repeats the heading at the
      // same version, which changes nothing, so this never loops.
      if (outcome === "updated" && opened[card.id] && !sync.length) refetch.push(card.id);
    });
    // The order page's payment panel follows its order (payments/views.py "panel").
    if (orderChanged) document.body.dispatchEvent(new CustomEvent("chefshop:order-changed"));
    sync.forEach(function (regionId) {
      var region = document.getElementById(regionId);
      if (!region) return;
      Array.prototype.slice.call(region.children).forEach(function (child) {
        // Cards opened on request are not in a snapshot; keep them while their heading is open.
        if (child.id && child.hasAttribute("data-version") && !named[child.id] && !(child.hasAttribute("data-parent") && opened[child.getAttribute("data-parent")])) {
          child.remove();
        }
      });
    });
    if (!sync.length) announceNew(inserted);
    else reopen();
    refetch.forEach(function (id) {
      var head = document.getElementById(id);
      var button = head && head.querySelector("button[data-open-url]");
      if (button) openSlot(head, button);
    });
    checkStock();
    refreshSince();
    refreshCountdowns();
  }

  // Slots this person opened are fetched again after every snapshot (a reconnect may have missed
  // changes to cards that only exist on pages that opened them).
  function reopen() {
    Object.keys(opened).forEach(function (id) {
      var head = document.getElementById(id);
      var button = head && head.querySelector("button[data-open-url]");
      if (button) openSlot(head, button);
      else if (!head) delete opened[id];
    });
  }

  function openSlot(head, button) {
    opened[head.id] = true; // before the fetch: a push arriving meanwhile already belongs here
    head.classList.add("is-open");
    button.setAttribute("aria-expanded", "true");
    return fetch(button.dataset.openUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        applyFrame({ cards: data.cards });
        // The reply is the slot whole: a card under this heading that it does not name has left.
        var named = {};
        (data.cards || []).forEach(function (card) { named[card.id] = true; });
        document.querySelectorAll('[data-parent="' + head.id + '"]').forEach(function (child) {
          if (child.id && !named[child.id]) child.remove();
        });
      })
      .catch(function () {
        delete opened[head.id];
        head.classList.remove("is-open");
        button.setAttribute("aria-expanded", "false");
      });
  }

  // A region that wants it (the driver's trips) says when a new card arrives by push.
  function announceNew(inserted) {
    inserted.forEach(function (card) {
      var region = document.getElementById(card.region);
      var banner = region && document.getElementById(region.dataset.announceNew || "");
      if (banner) banner.hidden = false;
    });
  }


  // --- a cart against the stock -------------------------------------------------------------------
  // Carts and checkouts carry their lines ([data-cart-line]: dish, quantity, price seen) and the
  // dish-stock cards of those dishes (#dish-stock: name, price, availability, portions left per day,
  // shared by every page). After every frame the page checks its own lines against them: a cart flags
  // a line that does not fit the chosen day, the picker disables the slots of a day that cannot take
  // the cart and says why, and a changed price is shown with its new total.
  function dayLabel(iso) {
    var day = new Date(iso + "T12:00:00Z");
    var parts = { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" };
    return day.toLocaleDateString("en-GB", parts).replace(",", "");
  }

  function stockOf(itemId) {
    var el = document.getElementById("dish-stock-" + itemId);
    if (!el) return null;
    var left = {};
    try { left = JSON.parse(el.dataset.left || "{}"); } catch (err) { left = {}; }
    return {
      name: el.dataset.name,
      price: Number(el.dataset.price),
      priceText: el.dataset.priceText,
      available: el.dataset.available === "true",
      left: left,
    };
  }

  // Why this line cannot be delivered on `day` ("" if it can); without a day, only what holds every day.
  function lineProblem(line, stock, day) {
    if (!stock) return "A dish in your cart is no longer on the menu";
    if (!stock.available) return stock.name + " is no longer available";
    if (!day || stock.left[day] === undefined) return "";
    var left = stock.left[day];
    if (left === 0) return stock.name + " sold out on " + dayLabel(day);
    if (left < Number(line.dataset.qty)) return "Only " + left + " " + stock.name + " left on " + dayLabel(day);
    return "";
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  // Amounts written as the server writes them (chefshop.money.format_money): the shop's currency and
  // locale, with as many decimals as the currency's minor unit has.
  function moneyFormat(box) {
    var digits = Number(box.dataset.digits || 2);
    var options = { style: "currency", currency: box.dataset.currency || "EUR" };
    options.minimumFractionDigits = options.maximumFractionDigits = digits;
    try {
      return new Intl.NumberFormat(box.dataset.locale || undefined, options).format;
    } catch (err) {
      return function (amount) { return amount.toFixed(digits); };
    }
  }

  function checkCart(box) {
    var money = moneyFormat(box);
    var day = box.dataset.day || "";
    var total = 0;
    box.querySelectorAll("[data-cart-line]").forEach(function (line) {
      var stock = stockOf(line.dataset.item);
      var seen = Number(line.dataset.priceSeen);
      var price = stock ? stock.price : seen;
      var qty = Number(line.dataset.qty);
      var notes = [];
      var problem = lineProblem(line, stock, day);
      if (problem) notes.push(problem);
      if (stock && price !== seen) notes.push("Price changed from " + money(seen) + " to " + stock.priceText);
      setText(line.querySelector("[data-line-note]"), notes.join(" · "));
      line.classList.toggle("does-not-fit", !!problem);
      setText(line.querySelector("[data-line-price]"), money(price));
      setText(line.querySelector("[data-line-total]"), money(price * qty));
      total += price * qty;
    });
    setText(box.querySelector("[data-cart-total]"), money(total));
    // The total this page shows is the one an order may be placed at.
    var seenTotal = document.querySelector("input[data-seen-total]");
    if (seenTotal) seenTotal.value = total.toFixed(2);
  }

  function dayProblems(lines, day) {
    var found = [];
    lines.forEach(function (line) {
      var problem = lineProblem(line, stockOf(line.dataset.item), day);
      if (problem && found.indexOf(problem) < 0) found.push(problem);
    });
    return found;
  }

  function checkPicker(lines) {
    var list = document.getElementById("slot-list");
    if (!list) return;
    var byDay = {};
    list.querySelectorAll("[data-day-head]").forEach(function (head) {
      var day = head.dataset.dayHead;
      var problems = byDay[day] = dayProblems(lines, day);
      var note = head.querySelector("[data-day-stock]");
      if (note) {
        setText(note, problems.length ? "Cannot take your cart: " + problems.join("; ") + "." : "");
        note.hidden = !problems.length;
      }
    });
    list.querySelectorAll("li[data-day]").forEach(function (slot) {
      var day = slot.dataset.day;
      var problems = byDay[day] || dayProblems(lines, day);
      var radio = slot.querySelector('input[name="slot"]');
      setText(slot.querySelector("[data-slot-stock]"), problems.length ? " · " + problems.join("; ") : "");
      slot.classList.toggle("no-stock", problems.length > 0);
      if (!radio) return;
      if (problems.length) {
        radio.disabled = true;
        radio.dataset.stockDisabled = "true";
      } else if (radio.dataset.stockDisabled) {
        delete radio.dataset.stockDisabled;
        radio.disabled = !slot.classList.contains("slot-open");
      }
      keepSlotChoice(slot);
    });
  }

  function checkStock() {
    if (!document.getElementById("dish-stock")) return;
    var boxes = document.querySelectorAll("[data-cart-stock]");
    boxes.forEach(checkCart);
    var lines = [];
    boxes.forEach(function (box) {
      lines = lines.concat(Array.prototype.slice.call(box.querySelectorAll("[data-cart-line]")));
    });
    checkPicker(lines);
  }

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var data;
    try {
      data = JSON.parse(event.detail.message);
    } catch (err) {
      return; // not ours: let htmx-ext-ws handle it
    }
    event.preventDefault();
    applyFrame(data);
  });

  document.addEventListener("htmx:wsConnecting", function () { setState("connecting"); });
  document.addEventListener("htmx:wsOpen", function (event) {
    retries.set(event.target, 0);
    setState("live");
  });
  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event.code;
    var elt = event.target;
    // The server ended this page's permission (logout, rights taken away): no reconnecting.
    if (ENDED[code]) {
      ended.add(elt);
      setState(ENDED[code]);
      return;
    }
    setState("reconnecting");
    if (EXTENSION_RETRIES.indexOf(code) >= 0 || !document.body.contains(elt)) return;
    var attempt = (retries.get(elt) || 0) + 1;
    retries.set(elt, attempt);
    setTimeout(function () {
      if (document.body.contains(elt)) event.detail.socketWrapper.reconnect();
    }, backoff(attempt));
  });

  // The database is away for a moment (503): say so above the page, keep every card as it is.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var alert = document.getElementById("page-alert");
    if (xhr && xhr.status === 503 && alert) alert.innerHTML = xhr.responseText;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var alert = document.getElementById("page-alert");
    if (event.detail.successful && alert) alert.innerHTML = "";
  });

  // The reply to a click is the card as it is now: never swap it over a newer pushed version.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-version") || !event.detail.serverResponse) return;
    var incoming = parseCard(event.detail.serverResponse);
    if (incoming && incoming.id === target.id && versionOf(incoming) < versionOf(target)) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var old = event.detail.target;
    var card = old && old.id ? document.getElementById(old.id) : null;
    if (!card) return;
    var region = document.getElementById(card.getAttribute("data-region") || "");
    if (region && card.parentElement !== region) place(region, card); // e.g. assigned: to "On the road"
    fillRosters(card);
    fillCsrf(card);
  });

  // A submitted form is no longer "being changed".
  document.addEventListener("input", function (event) { touched.add(event.target); });
  document.addEventListener("change", function (event) {
    touched.add(event.target);
    if (event.target.name === "slot") {
      var lost = document.getElementById("slot-lost");
      if (lost) lost.hidden = true;
    }
  });
  document.addEventListener("submit", function (event) {
    Array.prototype.forEach.call(event.target.elements || [], function (el) { touched.delete(el); });
  });

  // "Show 12 orders" on a later slot: fetch its cards and keep them shown here.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-open-url]");
    var head = button && button.closest(".slot-head");
    if (head) openSlot(head, button);
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The slot chosen before a form error comes back chosen (cards are the same for everyone).
    var list = document.getElementById("slot-list");
    if (list && list.dataset.selected) {
      var radio = document.getElementById("slot-input-" + list.dataset.selected);
      if (radio && !radio.disabled) radio.checked = true;
    }
    document.querySelectorAll(".slot-head").forEach(settle);
    fillRosters(document);
    fillCsrf(document);
    checkStock();
    refreshSince();
    refreshCountdowns();
  });
})();
