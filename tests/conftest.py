import pytest

from riskreg.seeds import load_seeds


@pytest.fixture
def seeded(db) -> None:
    """The register as the seed article fills it."""
    load_seeds()


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(user)
    return client
