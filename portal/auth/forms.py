from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import Email, EqualTo

from portal.forms import Form, max_length, no_control_characters, required


class SignInForm(Form):
    identifier = StringField(
        _l("Email or username"),
        validators=[required(_l("Enter your email address or username.")), max_length(254),
                    no_control_characters],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters. A few words you will remember work well."),
        validators=[required(_l("Choose a password."))],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Type the new password again"),
        validators=[
            required(_l("Type the new password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(Form):
    email = StringField(
        _l("Email address"),
        validators=[
            required(_l("Enter your email address.")),
            Email(message=_l("Enter an email address like name@example.com.")),
            max_length(254),
        ],
        render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"},
    )


class SignInCodeForm(Form):
    code = StringField(
        _l("Sign-in code"),
        description=_l("It is on the sheet the program staff gave you: 8 letters and numbers."),
        validators=[required(_l("Enter the code from your sheet.")), max_length(40),
                    no_control_characters],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                   "spellcheck": "false", "autocorrect": "off"},
    )


class ButtonForm(Form):
    """A form that is only a button, carrying the CSRF token."""
