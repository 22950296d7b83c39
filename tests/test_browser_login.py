import pytest

pytestmark = pytest.mark.browser


def test_login_form_leads_to_the_dashboard(seeded, page, login):
    login()
    assert "/accounts/login/" not in page.url
    assert "browser-admin" in page.content()
    assert page.console_errors == []
    assert page.blocked_requests == []
