"""Page tests sign in through the real form (the shared `world` is in tests/world.py)."""

import pytest

PASSWORD = "correct horse battery"  # what tests.factories gives every user


@pytest.fixture
def sign_in(client, world):
    """sign_in("clerk_sh") signs the test client in as that world user, via /sign-in."""

    def as_user(name: str):
        response = client.post("/sign-in", data={"email": world.users[name].email,
                                                 "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return as_user
