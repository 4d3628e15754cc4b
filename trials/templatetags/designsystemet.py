"""Designsystemet (static/vendor/designsystemet/) on Django's form widgets.

Django renders a field's widget itself, so the class the design system styles
(``ds-input``) is added here rather than in every form.
"""

from django import forms, template
from django.utils.html import format_html, format_html_join

register = template.Library()

# File inputs keep the browser's own button; hidden inputs need no style.
UNSTYLED = (forms.FileInput, forms.HiddenInput)
OPTION = '<div class="ds-field">{}<label class="ds-label" for="{}">{}</label></div>'


def _option(option) -> tuple:
    """One choice's input with ds-input, its attributes in the order Django writes them."""
    attrs = dict(option.data["attrs"])
    tail = {name: attrs.pop(name) for name in ("id", "checked") if name in attrs}
    option.data["attrs"] = {**attrs, "class": "ds-input", **tail}
    return (option.tag(), option.id_for_label, option.choice_label)


@register.filter
def ds_input(field):
    """The bound field's widget with Designsystemet's ``ds-input`` class: text, number, date,
    select and textarea as they are; a list of radio buttons or checkboxes as one ds-field
    per choice (input, then its label), since Django would put the class on the list too."""
    widget = field.field.widget
    if isinstance(widget, UNSTYLED):
        return field.as_widget()
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        options = format_html_join("\n", OPTION, (_option(o) for o in field.subwidgets))
        return format_html('<div class="ds-options" id="{}">{}</div>', field.auto_id, options)
    classes = f"ds-input {widget.attrs.get('class', '')}".strip()
    return field.as_widget(attrs={"class": classes})
