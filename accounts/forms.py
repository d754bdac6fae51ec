from django import forms

from accounts.models import User


class BioForm(forms.ModelForm):
    """The member's own bio: plain text (escaped when shown), at most 1,000 characters."""

    class Meta:
        model = User
        fields = ["bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 6})}
