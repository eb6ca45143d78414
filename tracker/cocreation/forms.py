from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional


class ReactionForm(FlaskForm):
    verdict = RadioField(
        _l("Does this help you?"),
        choices=[("helps", _l("This helps")), ("not_yet", _l("This does not help yet"))],
        validators=[InputRequired(_l("Choose whether this helps."))],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        description=_l("Shown after a director approved it. No names of colleagues, please."),
        validators=[Optional()],
        render_kw={"rows": 2, "maxlength": 500},
    )
    next = HiddenField()
    submit = SubmitField(_l("Send reaction"))


class FollowForm(FlaskForm):
    next = HiddenField()
    submit = SubmitField(_l("Follow"))
