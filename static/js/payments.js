// ChefShop card payments on the order page. The provider's own script (Stripe.js, or localstripe's
// stand-in) turns the card into a PaymentMethod in the browser; only its id (pm_…) reaches the shop, which
// creates and confirms the payment on its side. 3-D Secure runs here when the bank asks for it.
(function () {
  "use strict";

  var loading = null;

  // The provider's script, loaded once per page (it must not run twice).
  function whenStripe(url, callback) {
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
    });
  }

  function showError(form, text) {
    var box = form.querySelector("[data-card-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function setUpCardForm(form) {
    var stripe = window.Stripe(form.dataset.stripeKey);
    var card = stripe.elements().create("card");
    card.mount(form.querySelector("#card-element"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button.disabled) return; // one payment per click
      button.disabled = true;
      showError(form, "");
      stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
        var id = result && result.paymentMethod && result.paymentMethod.id;
        if (!id) {
          showError(form, (result && result.error && result.error.message) || "Please check your card details.");
          button.disabled = false;
          return;
        }
        form.querySelector('input[name="card"]').value = id;
        form.submit();
      });
    });
  }

  function setUpThreeDSecure(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      window.Stripe(form.dataset.stripeKey).confirmCardPayment(form.dataset.clientSecret).then(function () {
        form.submit(); // either way, the shop reads the payment back from the provider
      });
    });
  }

  function setUp(root) {
    var cardForm = root.querySelector("form[data-card-form]");
    var secure = root.querySelector("form[data-three-d-secure]");
    if (!cardForm && !secure) return;
    whenStripe((cardForm || secure).dataset.stripeJs, function () {
      if (cardForm && !cardForm.dataset.ready) {
        cardForm.dataset.ready = "true";
        setUpCardForm(cardForm);
      }
      if (secure && !secure.dataset.ready) {
        secure.dataset.ready = "true";
        setUpThreeDSecure(secure);
      }
    });
  }

  // The panel says which version of its order it shows. The order card may have moved on while the panel
  // was being fetched (its change arrived before this page listened, or during the fetch): fetch it again.
  function behindOrder(panel) {
    var shown = panel.querySelector("[data-order-version]");
    var card = document.querySelector("#order-live [data-version]");
    return !!(shown && card && Number(card.dataset.version) > Number(shown.dataset.orderVersion));
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (!panel || panel.id !== "payment-panel") return;
    setUp(panel);
    if (behindOrder(panel)) document.body.dispatchEvent(new CustomEvent("chefshop:order-changed"));
  });
  // A panel whose form is being filled in is not fetched again under the customer's fingers.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var panel = event.detail.elt;
    if (!panel || panel.id !== "payment-panel") return;
    var form = panel.querySelector("form[data-card-form]");
    var typing = form && form.contains(document.activeElement);
    if (typing && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
        event.detail.requestConfig.triggeringEvent.type === "chefshop:order-changed") {
      event.preventDefault();
    }
  });
})();
