"""Read an admin change form the way a browser submits it: every input, select and textarea."""

from html.parser import HTMLParser

from django.urls import reverse


class FormReader(HTMLParser):
    """Collects the submitted values of the first form with method=post that is not the logout form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.done = False
        self.select: str | None = None
        self.select_multiple = False
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and a.get("method", "").lower() == "post" and "logout" not in (a.get("action") or ""):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.text = []

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            value = "".join(self.text)
            # HTML drops one newline right after <textarea>; Django renders one there.
            self.data.setdefault(self.textarea, []).append(value)
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False
            self.done = True

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def change_form_data(client, obj) -> dict[str, list[str] | str]:
    """The POST data a browser would send if the user saved ``obj``'s admin change form unchanged."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values if len(values) != 1 else values[0] for name, values in reader.data.items()}


def admin_change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
