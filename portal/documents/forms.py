from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.account.forms import language_choices
from portal.documents.models import DocumentKind
from portal.forms import (
    Form,
    OneTimeKeyMixin,
    Radio,
    Select,
    max_length,
    no_control_characters,
    required,
)
from portal.meetings.forms import TITLE_LIMIT

KIND_LABELS = {
    DocumentKind.AGENDA: _l("Agenda"),
    DocumentKind.MINUTES: _l("Minutes"),
    DocumentKind.READING: _l("Reading"),
    DocumentKind.HANDOUT: _l("Handout"),
}


class VersionFieldsMixin:
    title = StringField(_l("Title"), description=TITLE_LIMIT,
                        validators=[required(_l("Enter a title.")), max_length(200),
                                    no_control_characters])
    body = TextAreaField(
        _l("Text (optional if you add a file)"),
        description=_l("You can use Markdown: **bold**, *italic*, lists that start with "
                       "- and links like [text](https://example.org)."),
        validators=[Optional(), max_length(50_000), no_control_characters],
        render_kw={"rows": 12})
    file = FileField(
        _l("File (optional)"),
        description=_l("PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG."))
    remove_file = BooleanField(_l("Remove the file that is there now"))


class DocumentForm(Form, VersionFieldsMixin, OneTimeKeyMixin):
    kind = Radio(_l("What is it?"),
                 choices=[(kind.value, label) for kind, label in KIND_LABELS.items()],
                 validators=[required(_l("Choose what kind of document this is."))])
    meeting = Select(_l("Meeting"),
                     description=_l("Agendas and minutes belong to a meeting."))
    language = Select(_l("Language this is written in"), choices=language_choices())


class VersionForm(Form, VersionFieldsMixin):
    language = Select(_l("Language of this version"), choices=language_choices())


class MaterialsFilterForm(Form):
    class Meta:
        csrf = False

    meeting = Select(_l("Meeting"), validators=[Optional()])
    kind = Select(_l("Kind"), validators=[Optional()])
