"""A corpus of hostile and unusual text, and helpers to put it into every text field via admin."""

from django.db import models

# Each piece is something that has broken real web applications. None starts or ends with
# whitespace, which form fields strip on purpose.
PIECES = {
    "html": '<b>bold</b><img src=x onerror="alert(1)">',
    "script": "<script>alert(1)</script>",
    "close_script": "</script><script>alert(2)</script>",
    "template": "${alert(3)}`+alert(4)+`\\`",
    "separators": "line\u2028separator\u2029paragraph",
    "csv": '=HYPERLINK("http://evil.example/","click")',
    "csv_more": "+1+1|-2@SUM(A1)",
    "rtl": "שלום \u202eevil\u202c مرحبا",
    "cjk_emoji": "中文 日本語 한국어 🚩👩🏽‍💻",
    "quotes": "'\"&amp;&lt; {{ x }} {% if %}",
}
# All pieces in one string that fits a 200-character field.
MIXED = " ".join([PIECES["script"], PIECES["close_script"], PIECES["template"], PIECES["separators"]])
MIXED_2 = " ".join([PIECES["html"], PIECES["csv"], PIECES["rtl"], PIECES["cjk_emoji"], PIECES["quotes"]])
LONG = ("長" + "a" * 9 + "🚩") * 909 + "z"  # 10,000 characters, multi-byte included

# What must never appear verbatim in a rendered page: it would mean the markup was not escaped.
RAW_MARKERS = ["<script>alert(", "<img src=x", "<b>bold</b>"]


def text_fields(model: type[models.Model]) -> list[models.Field]:
    """Free-text fields a user types into: CharField and TextField without choices."""
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, models.URLField | models.EmailField)
        and f.editable
        and not f.choices
    ]


def values_for(fields: list[models.Field], pieces: list[str]) -> dict[str, str]:
    """A value for each field: hostile pieces in turn, the whole LONG string where no limit applies."""
    values = {}
    for i, field in enumerate(fields):
        value = pieces[i % len(pieces)]
        if field.max_length is None:
            value = value + " " + LONG
        values[field.name] = value[: field.max_length] if field.max_length else value
    return values
