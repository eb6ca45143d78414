from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker.forms import DayField
from tracker.inputs import whole_number

FORMAT_CHOICES = [
    ("auto", _l("Detect automatically")),
    ("findings", _l("Aggregated findings (report per department and question)")),
    ("qualtrics", "Qualtrics"),
    ("surveymonkey", "SurveyMonkey"),
    ("googleforms", "Google Forms"),
    ("msforms", "Microsoft Forms"),
    ("limesurvey", "LimeSurvey"),
    ("generic", _l("Other table of responses")),
]

SCALE_CHOICES = [
    ("", _l("Detect")),
    ("likert5", _l("1–5 (agree/disagree)")),
    ("grade10", _l("1–10 (grade)")),
    ("yesno", _l("Yes/no")),
    ("open", _l("Open text (comments)")),
    ("skip", _l("Do not import")),
]


#: What each question kind is called on screen (the preview's "Detect: …" names the choice).
KIND_LABELS = {value: label for value, label in SCALE_CHOICES if value}
FORMAT_LABELS = dict(FORMAT_CHOICES)

#: Why a column of the file is not imported, in the director's words.
SKIP_REASONS = {
    "metadata": _l("data about the response, not an answer"),
    "department": _l("the department of the respondent"),
    "categorical": _l("a choice between names, not a scale"),
    "multiple-choice": _l("one option of a multiple-choice question"),
    "empty": _l("no answers"),
    "override": _l("you chose not to import it"),
    "outside-blocks": _l("outside the department blocks"),
}
#: Skipped columns the director may still import with a scale of their choosing.
REVIVABLE = {"categorical", "multiple-choice", "override"}


class UploadForm(FlaskForm):
    file = FileField(
        _l("Survey export"),
        description=_l("CSV or Excel (.xlsx) from your survey tool, or the findings template."),
        validators=[FileRequired(_l("Choose a file."))],
    )
    round_name = StringField(
        _l("Survey round"),
        description=_l("An existing round adds these results to it, e.g. a second department."),
        validators=[DataRequired(), Length(max=200)],
    )
    held_on = DayField(_l("Date of the results"), validators=[Optional()])
    fieldwork_started_on = DayField(
        _l("First day of the fieldwork"),
        description=_l(
            "Actions done after this day are too late to show in this round's "
            "scores. Leave empty if unknown: the date of the results is used."
        ),
        validators=[Optional()],
    )
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="auto")
    submit = SubmitField(_l("Upload and preview"))

    def validate_fieldwork_started_on(self, field):
        if field.data and self.held_on.data and field.data > self.held_on.data:
            raise ValidationError(_l("The fieldwork starts before the results are known."))


class ConfirmImportForm(FlaskForm):
    """The preview's choices; dynamic fields (mapping, scales) are read from the request."""

    format = SelectField(_l("Format"), choices=FORMAT_CHOICES)
    department_column = SelectField(_l("Column with the department"), choices=[], default="")
    department = SelectField(_l("The whole file is about one department"), choices=[], default="")
    create_departments = BooleanField(_l("Create the departments that do not exist yet"))
    preview = SubmitField(_l("Update preview"))
    confirm = SubmitField(_l("Import"))


class TriageForm(FlaskForm):
    triage = SelectField(
        _l("Decision"),
        choices=[
            ("untriaged", _l("Not decided yet")),
            ("act", _l("Act on it")),
            ("no_action", _l("No action (explain why)")),
            ("strength", _l("Strength")),
        ],
    )
    sphere = SelectField(
        _l("Sphere of influence"),
        choices=[
            ("", _l("Not set")),
            ("own", _l("Our own department")),
            ("management", _l("Needs management")),
            ("outside", _l("Outside our influence")),
        ],
    )
    no_action_reason = TextAreaField(
        _l("Why no action"),
        description=_l("Shown to internal customers: explain the choice and the constraints."),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Save decision"))


class LabelMapForm(FlaskForm):
    labels = TextAreaField(
        _l("Answer labels"),
        description=_l(
            'One per line: label = number, e.g. "Heel goed = 5". Leave the number '
            'out ("Geen idee =") to exclude that answer from scores. Applies to '
            "the next import into this round."
        ),
        validators=[Length(max=20000)],
        render_kw={"rows": 10},
    )
    submit = SubmitField(_l("Save labels"))

    def parsed(self) -> dict[str, float | None]:
        """The mapping from the text; raises ValueError with the line that is wrong."""
        mapping = {}
        for number, line in enumerate((self.labels.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, value = line.rpartition("=")
            if not sep or not label.strip():
                raise ValueError(number)
            value = value.strip().replace(",", ".")
            try:
                mapping[label.strip()] = float(value) if value else None
            except ValueError:
                raise ValueError(number) from None
        return mapping

    def validate_labels(self, field):
        try:
            self.parsed()
        except ValueError as error:
            from flask_babel import gettext as _

            raise ValidationError(
                _('Line %(line)d is not "label = number".', line=error.args[0])
            ) from None


class QuestionThemeForm(FlaskForm):
    """One theme for the questions ticked in the results table (one or many)."""

    # The service checks that the questions are in the department's results.
    question = SelectMultipleField(_l("Questions"), coerce=whole_number, validate_choice=False)
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=200)])
    new_theme = StringField(_l("Or a new theme"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Give the chosen questions this theme"))
