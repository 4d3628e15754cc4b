"""Form base shared by every layer's HTML forms (casework, trials, workflows)."""

from django import forms
from django.core.exceptions import ValidationError


class SummaryForm(forms.Form):
    """A form whose errors can be listed in an error summary linking to the fields
    (the same contract as the portal's forms and ``includes/error_summary.html``)."""

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        for key, errors in exc.message_dict.items():
            for message in errors:
                self.add_error(key if key in self.fields else None, message)

    def error_summary(self) -> list[tuple[str, str]]:
        summary = [("", str(message)) for message in self.non_field_errors()]
        for name in self.fields:
            if name in self.errors:
                bound = self[name]
                anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id
                summary.extend((anchor, str(message)) for message in self.errors[name])
        return summary
