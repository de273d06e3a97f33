// ChefShop card payments on the order page. The provider's own script (Stripe.js, or localstripe's
// stand-in) turns the card into a PaymentMethod in the browser; only its id (pm_…) reaches the shop, which
// creates and confirms the payment on its side. 3-D Secure runs here when the bank asks for it.
//
// The panel (#payment-panel) is fetched again whenever its order changes, but never replaces a form in
// use: a card form being filled in (focus in it, or a card typed) or any form being submitted. A refresh
// put off for that is made as soon as the form is left alone, if the order moved on meanwhile
// (behindOrder). A form whose submission went through is never replaced: the page it posts to follows.
(function () {
  "use strict";

  var loading = null;

  // The provider's script, loaded once per page (it must not run twice).
  function whenStripe(url, callback, failed) {
    if (typeof window.Stripe === "function") return callback();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    loading.then(callback, function () {
      loading = null;
      document.querySelectorAll("[data-card-error]").forEach(function (box) {
        box.textContent = "The card form could not be loaded. Please reload the page.";
        box.hidden = false;
      });
      if (failed) failed();
    });
  }

  function showError(form, text) {
    var box = form.querySelector("[data-card-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function submitting(form) {
    return form.dataset.submitting === "true";
  }

  // Marked before the button is disabled: a disabled button gives up focus, and the form is still in use.
  function startSubmitting(form) {
    form.dataset.submitting = "true";
    form.querySelector('button[type="submit"]').disabled = true;
  }

  function stopSubmitting(form) {
    delete form.dataset.submitting;
    form.querySelector('button[type="submit"]').disabled = false;
    catchUp();
  }

  function inUse(form) {
    if (submitting(form)) return true;
    if (!form.hasAttribute("data-card-form")) return false;
    return form.dataset.filled === "true" || form.contains(document.activeElement);
  }

  function panelInUse(panel) {
    return Array.prototype.some.call(panel.querySelectorAll("form[data-card-form], form[data-three-d-secure]"), inUse);
  }

  // The panel says which version of its order it shows. The order card may have moved on while the panel
  // was being fetched (its change arrived before this page listened, or during the fetch), or while a
  // refresh was put off: fetch it again.
  function behindOrder(panel) {
    var shown = panel.querySelector("[data-order-version]");
    var card = document.querySelector("#order-live [data-version]");
    return !!(shown && card && Number(card.dataset.version) > Number(shown.dataset.orderVersion));
  }

  function refresh() {
    document.body.dispatchEvent(new CustomEvent("chefshop:order-changed"));
  }

  // A refresh put off while the panel's form was in use, made once it no longer is (after focus settled).
  function catchUp() {
    setTimeout(function () {
      var panel = document.getElementById("payment-panel");
      if (panel && !panelInUse(panel) && behindOrder(panel)) refresh();
    }, 0);
  }

  // Listens from the moment the form is in the page: a click before the provider's script is loaded must
  // not post the form as it is (no card for the card form, no 3-D Secure for the other).
  function setUpCardForm(form) {
    var stripe = null;
    var card = null;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submitting(form)) return; // one payment per click
      if (!card) {
        showError(form, "The card form is still loading. Please enter your card once it appears.");
        return;
      }
      startSubmitting(form);
      showError(form, "");
      var failed = function (result) {
        showError(form, (result && result.error && result.error.message) || "Please check your card details.");
        stopSubmitting(form);
      };
      stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
        var id = result && result.paymentMethod && result.paymentMethod.id;
        if (!id) return failed(result);
        form.querySelector('input[name="card"]').value = id;
        form.submit(); // still "submitting": this page is on its way out
      }, failed);
    });
    whenStripe(form.dataset.stripeJs, function () {
      stripe = window.Stripe(form.dataset.stripeKey);
      card = stripe.elements().create("card");
      card.mount(form.querySelector("#card-element"));
      card.on("change", function (event) {
        var empty = !!(event && event.empty);
        form.dataset.filled = empty ? "" : "true";
        if (empty) catchUp();
      });
    });
  }

  function setUpThreeDSecure(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submitting(form)) return;
      startSubmitting(form);
      var done = function () {
        form.submit(); // either way, the shop reads the payment back from the provider
      };
      whenStripe(
        form.dataset.stripeJs,
        function () {
          window.Stripe(form.dataset.stripeKey).confirmCardPayment(form.dataset.clientSecret).then(done, done);
        },
        function () {
          stopSubmitting(form);
        }
      );
    });
    whenStripe(form.dataset.stripeJs, function () {}); // ready before the customer clicks
  }

  function setUp(root) {
    root.querySelectorAll("form[data-card-form], form[data-three-d-secure]").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "true";
      if (form.hasAttribute("data-card-form")) setUpCardForm(form);
      else setUpThreeDSecure(form);
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (!panel || panel.id !== "payment-panel") return;
    setUp(panel);
    if (behindOrder(panel)) refresh();
  });
  // Not fetched while its form is in use, nor swapped in over one that came into use during the fetch.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var panel = event.detail.elt;
    if (panel && panel.id === "payment-panel" && panelInUse(panel)) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var panel = event.detail.target;
    if (panel && panel.id === "payment-panel" && panelInUse(panel)) event.detail.shouldSwap = false;
  });
  // Leaving the card form (focus elsewhere) may end its use.
  document.addEventListener("focusout", function (event) {
    if (event.target.closest && event.target.closest("form[data-card-form]")) catchUp();
  });
  // Back to this page from the browser's history: the submission it shows under way left it long ago.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector("#payment-panel form[data-submitting]")) window.location.reload();
  });
})();
