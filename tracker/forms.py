"""Form pieces shared by every area."""
from wtforms import DecimalField, SelectMultipleField, widgets

from tracker.errors import DomainError


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: usable without JavaScript, unlike a multiple select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def apply_domain_error(form, error: DomainError) -> None:
    """Show a service's error on the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class DecimalCommaField(DecimalField):
    """A decimal number that also accepts the Dutch decimal comma ("0,5")."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)
