from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(), Length(max=256)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Contraseña actual"), validators=[DataRequired(), Length(max=256)]
    )
    new_password = PasswordField(
        _l("Contraseña nueva"), validators=[DataRequired(), Length(max=256)]
    )
    confirm = PasswordField(
        _l("Repita la contraseña nueva"),
        validators=[DataRequired(), EqualTo("new_password", _l("Las contraseñas no coinciden."))],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    new_password = PasswordField(
        _l("Contraseña nueva"), validators=[DataRequired(), Length(max=256)]
    )
    confirm = PasswordField(
        _l("Repita la contraseña nueva"),
        validators=[DataRequired(), EqualTo("new_password", _l("Las contraseñas no coinciden."))],
    )


# The answers offered on the account page; "" clears the answer (unset is the default).
SEX_CHOICES = (
    ("", _l("No responder")),
    ("female", _l("Mujer")),
    ("male", _l("Hombre")),
    ("another", _l("Otro")),
    ("prefer_not_to_say", _l("Prefiero no decirlo")),
)


class ProfileForm(FlaskForm):
    # Checked by the service (accounts.profile.set_sex), which refuses any other value.
    sex = StringField(_l("Sexo"), validators=[Length(max=40)])
