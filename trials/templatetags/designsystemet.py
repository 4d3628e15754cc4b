"""Designsystemet (static/vendor/designsystemet/) on Django's form widgets.

Django renders a field's widget itself, so the class the design system styles
(``ds-input``) is added here rather than in every form.
"""

from django import forms, template

register = template.Library()

# File inputs keep the browser's own button; hidden inputs need no style.
UNSTYLED = (forms.FileInput, forms.HiddenInput)


@register.filter
def ds_input(field):
    """The bound field's widget with Designsystemet's ``ds-input`` class (text, number, date,
    select, textarea, and each radio button or checkbox of a choice list)."""
    widget = field.field.widget
    if isinstance(widget, UNSTYLED):
        return field.as_widget()
    classes = f"ds-input {widget.attrs.get('class', '')}".strip()
    return field.as_widget(attrs={"class": classes})
