from django import forms


class FailForm(forms.Form):
    """Why a delivery failed, as the driver says it."""

    reason = forms.CharField(max_length=300, strip=True)
