"""Form pieces shared by every area, and the one way a route runs a service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField, SelectMultipleField, widgets

from tracker.errors import DomainError
from tracker.extensions import db


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


@dataclass
class Outcome:
    """What became of a `saving` block: `error` is the refusal, None when it was saved."""

    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def saving(form=None, *, category: str = "danger") -> Iterator[Outcome]:
    """Run a route's service calls as one unit of work: commit when they succeed; when a
    service refuses (DomainError), roll back and show why — next to its field of `form`
    (above the form when it names no field), or as a flash message when there is no form.
    Every typed value stays in the form. The route then checks `outcome.ok`."""
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        db.session.rollback()
        outcome.error = error
        if form is not None:
            apply_domain_error(form, error)
        else:
            flash(error.message, category)
    else:
        db.session.commit()


class DecimalCommaField(DecimalField):
    """A decimal number that also accepts the Dutch decimal comma ("0,5")."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)


#: Dates people mean lie between these years; anything else is a typing error (20266, 0001)
#: and a year like 9999 breaks date arithmetic further on.
FIRST_YEAR, LAST_YEAR = 1900, 2100


class DayField(DateField):
    """A date between 1900 and 2100; another is refused next to the field."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            self.data = None
            raise ValueError(
                _l(
                    "Give a date between %(first)d and %(last)d.",
                    first=FIRST_YEAR,
                    last=LAST_YEAR,
                )
            )


class WholeNumberField(IntegerField):
    """A whole number of a size people mean (at most 9 digits); a larger one is refused
    next to the field instead of overflowing a date or the database."""

    LIMIT = 10**9

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) >= self.LIMIT:
            self.data = None
            raise ValueError(_l("This number is too large."))
