from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from tracker.provisioning.queries import token_named


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l(
            "Which client uses it, e.g. entra-id or keycloak. It appears in the security log."
        ),
        validators=[DataRequired(), Length(max=100)],
    )
    submit = SubmitField(_l("Create token"))

    def validate_name(self, field):
        if token_named(field.data) is not None:
            raise ValidationError(_l("There is already a token with this name; choose another."))
