// ChefShop's addition to localstripe's Stripe.js stand-in (scripts/run_localstripe.py serves it after the
// stand-in, in the same function scope: LOCALSTRIPE_BASE_API is the stand-in's). Two things the stand-in
// does not do as Stripe.js documents them:
// - stripe.createPaymentMethod({type: "card", card: element}) is empty there. Here it creates the
//   PaymentMethod with the publishable key and resolves {paymentMethod} or {error: {message}}; it never
//   rejects.
// - A card element's "change" handlers get no event there. Here they get {elementType, empty, complete}.
// Everything else is the stand-in's own.
(function () {
  "use strict";

  var standIn = window.Stripe;

  function incomplete(message) {
    return { error: { type: "validation_error", message: message } };
  }

  function formBody(fields) {
    return Object.keys(fields)
      .filter(function (name) { return fields[name] !== undefined && fields[name] !== ""; })
      .map(function (name) { return encodeURIComponent(name) + "=" + encodeURIComponent(fields[name]); })
      .join("&");
  }

  function createPaymentMethod(apiKey, data) {
    if (!data || data.type !== "card" || !data.card) {
      return Promise.resolve(incomplete("createPaymentMethod: only {type: \"card\", card: element} is supported here."));
    }
    var value = data.card.value; // what the stand-in's card element collected, once anything was typed
    var card = value && value.card;
    if (!card || !card.number) return Promise.resolve(incomplete("Your card number is incomplete."));
    var address = (data.billing_details && data.billing_details.address) || {};
    var body = formBody({
      type: "card",
      "card[number]": card.number,
      "card[exp_month]": card.exp_month,
      "card[exp_year]": card.exp_year,
      "card[cvc]": card.cvc,
      "billing_details[name]": data.billing_details && data.billing_details.name,
      "billing_details[address][postal_code]": address.postal_code || value.postal_code,
      key: apiKey,
      payment_user_agent: "localstripe",
    });
    return fetch(LOCALSTRIPE_BASE_API + "/v1/payment_methods", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (res) {
          if (response.status === 200 && res && res.id && !res.error) return { paymentMethod: res };
          var error = (res && res.error) || {};
          if (!error.message) error.message = "Your card could not be used (" + response.status + ").";
          return { error: error };
        });
      })
      .catch(function (err) {
        return { error: { type: "api_connection_error", message: "The card could not be checked: " + err } };
      });
  }

  function changeEvent(element) {
    var value = element.value || {};
    var card = value.card || {};
    var year = String(card.exp_year || "").replace(/^20/, ""); // the stand-in prefixes what was typed with "20"
    var typed = [card.number, card.exp_month, year, card.cvc, value.postal_code];
    return {
      elementType: "card",
      empty: typed.every(function (text) { return !text; }),
      complete: String(card.number || "").length === 16 && !!card.exp_month && year.length === 2 &&
        String(card.cvc || "").length === 3,
    };
  }

  function withChangeEvents(elements) {
    var create = elements.create;
    elements.create = function (type, options) {
      var element = create.call(this, type, options);
      var on = element.on;
      element.on = function (name, handler) {
        if (name !== "change") return on.call(this, name, handler);
        return on.call(this, name, function () { handler(changeEvent(element)); });
      };
      return element;
    };
    return elements;
  }

  window.Stripe = function (apiKey, options) {
    var stripe = standIn(apiKey, options);
    var elements = stripe.elements;
    stripe.elements = function (options) { return withChangeEvents(elements(options)); };
    stripe.createPaymentMethod = function (data) { return createPaymentMethod(apiKey, data); };
    return stripe;
  };
})();
