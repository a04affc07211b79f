"""Page sessions end for good: a copied session cookie is worth nothing after sign-out, a
password reset, a chosen password or a deactivation (User.end_sessions)."""

from registry.extensions import db
from registry.models import User
from registry.services import accounts

NEW_PASSWORD = "a brand new secret"


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(browser, path: str = "/clerk/") -> bool:
    return browser.get(path).status_code == 200


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_a_copied_cookie_dies_with_the_sign_out(app, client, world, sign_in):
    sign_in("clerk_sh")
    thief = copy_of(app, client)
    assert signed_in(thief)  # the copy works while the session lives
    said = client.post("/sign-out", follow_redirects=True).get_data(as_text=True)
    assert "您已退出登录" in said
    assert not signed_in(thief)
    assert thief.get("/clerk/").headers["Location"].startswith("/sign-in")


def test_signing_in_again_after_a_sign_out_works(client, world, sign_in):
    sign_in("clerk_sh")
    client.post("/sign-out")
    sign_in("clerk_sh")
    assert signed_in(client)


def test_an_old_session_can_neither_open_pages_nor_choose_the_password_after_a_reset(
        app, client, world, sign_in):
    target = world.users["clerk_sh"]
    sign_in("clerk_sh")
    thief = copy_of(app, client)
    accounts.reset_password(fresh(target), "temporary pass", world.users["admin"])
    db.session.commit()
    assert not signed_in(thief)
    chosen = thief.post("/choose-password", data={"password": "chosen by the thief",
                                                  "confirm": "chosen by the thief"})
    assert chosen.status_code == 302 and chosen.headers["Location"].startswith("/sign-in")
    assert fresh(target).must_change_password
    assert fresh(target).check_password("temporary pass")


def test_choosing_the_password_keeps_this_session_and_ends_the_others(
        app, client, world, sign_in):
    target = world.users["clerk_sh"]
    accounts.reset_password(fresh(target), "temporary pass", world.users["admin"])
    db.session.commit()
    client.post("/sign-in", data={"email": target.email, "password": "temporary pass"})
    other = copy_of(app, client)  # another browser that signed in with the temporary one
    assert client.post("/choose-password", data={"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD}).status_code == 302
    assert signed_in(client)
    assert not signed_in(other)


def test_reactivating_an_account_revives_none_of_its_sessions(app, client, world, sign_in):
    target = world.users["clerk_sh"]
    sign_in("clerk_sh")
    thief = copy_of(app, client)
    accounts.set_active(fresh(target), False, world.users["admin"])
    db.session.commit()
    accounts.set_active(fresh(target), True, world.users["admin"])
    db.session.commit()
    assert not signed_in(thief)
    assert not signed_in(client)
    sign_in("clerk_sh")  # signing in again is the way back
    assert signed_in(client)


def test_a_session_id_without_its_epoch_is_refused(app, world):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(world.users["clerk_sh"].id)  # a cookie of the old shape
    assert not signed_in(browser)
