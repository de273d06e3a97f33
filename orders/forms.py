from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

phone_validator = RegexValidator(
    r"^\+?[0-9 ()\-]{6,25}$", "Enter a phone number with digits, spaces, brackets or dashes."
)


class CheckoutForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        max_length=30,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    address = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"})
    )
    notes = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Allergies, door code, where to leave it.",
    )
    slot = forms.IntegerField(
        min_value=1, max_value=2**31 - 1, error_messages={"required": "Please choose a delivery slot."}
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    # The total the page showed: an order is never placed at prices the customer has not seen.
    seen_total = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=2, widget=forms.HiddenInput
    )


class QuantityForm(forms.Form):
    item = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    quantity = forms.IntegerField(min_value=0, max_value=settings.CART_MAX_QUANTITY, required=False)
