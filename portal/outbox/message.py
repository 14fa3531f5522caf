"""Turning an outbox row into an Internet message (RFC 5322, MIME) that mail clients read well."""

from __future__ import annotations

import base64
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit

# RFC 2047: an encoded word is at most 75 characters. Header lines should stay within
# 78 (RFC 5322); folding at 76 also fits quoted-printable's limit, so neither policy
# below ever refolds a header folded here.
ENCODED_WORD_MAX = 75
LINE_MAX = 76
_WORD_OVERHEAD = len("=?utf-8?b??=")

# CRLF on the wire. An 8-bit body keeps its lines whole up to the 998 RFC 5322 allows,
# so it reads as written; quoted-printable lines stay within RFC 2045's 76.
EIGHT_BIT_POLICY = policy.SMTP.clone(max_line_length=998)
SEVEN_BIT_POLICY = policy.SMTP.clone(max_line_length=LINE_MAX)


def message_domain(base_url: str) -> str:
    """The portal's own host name, for Message-IDs: the host of its public address."""
    return urlsplit(base_url).hostname or "localhost"


def _encoded_words(text: str, first_budget: int) -> list[str]:
    """`text` as UTF-8 base64 encoded words, split between characters, never inside one.

    Decoders join adjacent encoded words without the folding space between
    them, so spaces of the text travel inside the words and come back intact.
    """
    words, chunk = [], ""
    budget = first_budget
    for character in text:
        candidate = chunk + character
        encoded_length = _WORD_OVERHEAD + 4 * -(-len(candidate.encode("utf-8")) // 3)
        if chunk and encoded_length > budget:
            words.append(chunk)
            chunk, budget = character, ENCODED_WORD_MAX
        else:
            chunk = candidate
    if chunk:
        words.append(chunk)
    return ["=?utf-8?b?" + base64.b64encode(word.encode("utf-8")).decode("ascii") + "?="
            for word in words]


def _folded_ascii(name: str, text: str) -> str | None:
    """Plain text folded at spaces into lines of at most 78, or None when a word is too
    long for that. The space before each fold stays, so unfolding gives `text` back."""
    lines, line = [], name + ":"
    for word in text.split(" "):
        if len(line) + 1 + len(word) > LINE_MAX and line.strip():
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    if any(len(line) > LINE_MAX for line in lines):
        return None
    return "\r\n".join(lines)[len(name) + 2:]


def folded_header(name: str, text: str, prefix: str = "", suffix: str = "") -> str:
    """A header value ready for the wire, folded here rather than by the email package
    (which writes encoded words of 76 characters and can fold a subject so that it
    starts with a space): plain ASCII folded at spaces where it fits, else encoded
    words of at most 75 characters on lines of at most 78."""
    if text.isascii() and not prefix and not suffix and "  " not in text:
        plain = _folded_ascii(name, text)
        if plain is not None:
            return plain
    elif text.isascii():
        return prefix + text + suffix
    # The first line also carries "Name: " and the prefix.
    first_budget = min(ENCODED_WORD_MAX, LINE_MAX - len(name) - 2 - len(prefix))
    words = _encoded_words(text, first_budget)
    if len(words[-1]) + 1 + len(suffix) > LINE_MAX:
        return prefix + "\r\n ".join(words) + "\r\n " + suffix.lstrip()
    return prefix + "\r\n ".join(words) + suffix


def build_email(message, *, sender: str, base_url: str, eight_bit: bool = True) -> EmailMessage:
    """An outbox message as an email with every header RFC 5322 asks for.

    `eight_bit` False writes a non-ASCII body as quoted-printable, for servers
    that do not announce 8BITMIME.
    """
    email = EmailMessage(policy=EIGHT_BIT_POLICY if eight_bit else SEVEN_BIT_POLICY)
    sender_name, sender_address = parseaddr(sender)
    email.set_raw("From", folded_header("From", sender_name, suffix=f" <{sender_address}>")
                  if sender_name and not sender_name.isascii() else formataddr(
                      (sender_name, sender_address)))
    email["To"] = message.to_address
    email["Date"] = format_datetime(message.created_at)
    # Stable for one outbox row, so a message sent twice after a lost reply is seen as one.
    email["Message-ID"] = (f"<{message.created_at:%Y%m%d%H%M%S%f}.{message.id}"
                           f"@{message_domain(base_url)}>")
    email.set_raw("Subject", folded_header("Subject", message.subject))
    email["MIME-Version"] = "1.0"
    body_encoding = None if eight_bit or message.body.isascii() else "quoted-printable"
    email.set_content(message.body, cte=body_encoding)
    if message.attachment_body:
        # Base64 lines stay within RFC 2045's 76 whatever the body's policy allows.
        attachment = EmailMessage(policy=SEVEN_BIT_POLICY)
        maintype, _, subtype = message.attachment_type.partition("/")
        attachment.set_content(message.attachment_body.encode("utf-8"), maintype=maintype,
                               subtype=subtype, disposition="attachment",
                               filename=message.attachment_name)
        attachment.set_param("charset", "utf-8")
        if message.attachment_type == "text/calendar":
            attachment.set_param("method", "PUBLISH")
        del attachment["MIME-Version"]
        email.make_mixed()
        email.attach(attachment)
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = message.language.replace("_", "-")
    return email
