"""Sign-in with a school's OpenID Connect provider, against a provider run on 127.0.0.1.

ACC-7 (third-party sign-in, the person confirms the account is theirs), ACC-8 (unlinking),
RGT-17 (an account begun at a provider is told to close that one there).
"""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from app.identity.models import ExternalIdentity
from tests.accounts.helpers import bearer, send_code
from tests.conftest import cross_school
from tests.identity.flow import consent, query_of, sign_in, to_provider
from tests.identity.provider import Person

ADMIN_NORTH = "+8613800000001"
NEW_PERSON = "+8613800009999"


async def _identities_stored(owner) -> int:
    async with owner.db.session() as session:
        return int((await session.execute(select(func.count(ExternalIdentity.id)))).scalar_one())


def _is_problem(response, status: int, type_: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + type_)


async def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(
    client, schools, providers
):
    url = await to_provider(client, "demo-north")
    assert url.startswith(providers["demo-north"].issuer + "/authorize?")
    query = query_of(url)
    assert query["client_id"] == "rostra-demo-north"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"] and query["scope"] == "openid phone"
    assert query["redirect_uri"] == "http://rostra.test/v1/auth/oidc/demo-north/callback"


async def test_full_login_links_a_confirmed_member_by_verified_phone(client, schools, providers):
    """ACC-7: a verified phone of a confirmed member of this school links and signs in."""
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    answer = await sign_in(client, "demo-north")
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    me = await client.get("/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    listed = (await client.get("/v1/me/identities", headers=bearer(tokens))).json()
    assert [(i["school"], i["issuer"], i["linked_by"]) for i in listed["items"]] == [
        ("demo-north", providers["demo-north"].issuer, "verified_phone")
    ]
    assert listed["created_by_provider"] is False and listed["provider_account_notice"] is None
    sessions = (await client.get("/v1/me/sessions", headers=bearer(tokens))).json()["items"]
    assert [s["signed_in_via"] for s in sessions] == ["oidc"]
    # The next sign-in finds the linked identity, whatever phone the provider now names.
    providers["demo-north"].person = Person("north-admin", None)
    again = await sign_in(client, "demo-north")
    assert again.status_code == 200, again.text
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": again.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_an_account_begun_at_the_provider_is_told_to_close_it_there(
    client, schools, providers
):
    """RGT-17: the identities answer says the provider's account must be closed there."""
    providers["demo-north"].person = Person("newcomer", NEW_PERSON)
    answer = await sign_in(client, "demo-north")
    assert answer.status_code == 200, answer.text
    listed = (await client.get("/v1/me/identities", headers=bearer(answer.json()))).json()
    assert listed["created_by_provider"] is True
    assert "identity provider" in listed["provider_account_notice"]


def _expired() -> dict[str, int]:
    now = int(time.time())
    return {"iat": now - 900, "exp": now - 600}


@pytest.mark.parametrize(
    ("tamper", "claim"),
    [
        ({"iss": "http://127.0.0.1:9/not-the-school-provider"}, "iss"),
        ({"aud": "some-other-client"}, "aud"),
        (_expired(), "exp"),
        ({"nonce": "a-nonce-of-another-sign-in"}, "nonce"),
        ({"sub": "x" * 256}, "sub"),
    ],
    ids=["wrong-issuer", "wrong-audience", "expired", "wrong-nonce", "overlong-subject"],
)
async def test_a_bad_id_token_is_refused_and_links_nothing(
    client, owner, schools, providers, tamper, claim
):
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    providers["demo-north"].claims_override = tamper
    answer = await sign_in(client, "demo-north")
    _is_problem(answer, 401, "invalid-id-token")
    assert answer.json()["claim"] == claim
    assert await _identities_stored(owner) == 0


async def test_a_bad_signature_is_refused(client, owner, schools, providers):
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    providers["demo-north"].sign_with = RSAKey.generate_key(2048, parameters={"kid": "p1"})
    answer = await sign_in(client, "demo-north")
    _is_problem(answer, 401, "invalid-id-token")
    assert answer.json()["claim"] == "signature"
    assert await _identities_stored(owner) == 0


@pytest.mark.parametrize("alg", ["HS256", "none"])
async def test_a_token_not_signed_by_the_providers_keys_is_refused(
    client, owner, schools, providers, alg
):
    """A MAC under the client secret, or no signature at all, is not the provider's key."""
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    providers["demo-north"].sign_alg = alg
    answer = await sign_in(client, "demo-north")
    _is_problem(answer, 401, "invalid-id-token")
    assert answer.json()["claim"] == "signature"
    assert await _identities_stored(owner) == 0


async def test_a_replayed_state_is_refused(client, schools, providers):
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    callback = await consent(await to_provider(client, "demo-north"))
    first = await client.get(callback)
    assert first.status_code == 200, first.text
    replayed = await client.get(callback)
    _is_problem(replayed, 401, "invalid-state")


async def test_a_failed_callback_still_uses_up_its_state(client, schools, providers):
    providers["demo-north"].claims_override = {"aud": "some-other-client"}
    callback = await consent(await to_provider(client, "demo-north"))
    _is_problem(await client.get(callback), 401, "invalid-id-token")
    providers["demo-north"].claims_override = {}
    _is_problem(await client.get(callback), 401, "invalid-state")


async def test_an_expired_attempt_is_refused(client, schools, providers):
    from app.core import clock

    callback = await consent(await to_provider(client, "demo-north"))
    clock.advance(601)
    _is_problem(await client.get(callback), 401, "invalid-state")


async def test_no_verified_phone_asks_for_an_sms_code(client, owner, schools, providers):
    """ACC-7: without a verified phone the person confirms the number is theirs by code."""
    providers["demo-north"].person = Person("unverified", NEW_PERSON, phone_verified=False)
    pending = await sign_in(client, "demo-north")
    assert pending.status_code == 202, pending.text
    body = pending.json()
    assert body["status"] == "confirmation_required" and body["phone_hint"].endswith("9999")
    assert await _identities_stored(owner) == 0
    code = await send_code(client, owner, NEW_PERSON)
    wrong = "000000" if code != "000000" else "111111"
    confirm = {"link_token": body["link_token"], "phone": NEW_PERSON}
    refused = await client.post("/v1/auth/oidc/demo-north/confirm", json={**confirm, "code": wrong})
    _is_problem(refused, 401, "invalid-code")
    done = await client.post("/v1/auth/oidc/demo-north/confirm", json={**confirm, "code": code})
    assert done.status_code == 200, done.text
    listed = (await client.get("/v1/me/identities", headers=bearer(done.json()))).json()
    assert [i["linked_by"] for i in listed["items"]] == ["sms_code"]
    again = await client.post("/v1/auth/oidc/demo-north/confirm", json={**confirm, "code": code})
    _is_problem(again, 401, "invalid-link")
    # Linked now: the next sign-in needs no code.
    assert (await sign_in(client, "demo-north")).status_code == 200


async def test_no_phone_at_all_asks_for_an_sms_code(client, schools, providers):
    providers["demo-north"].person = Person("no-phone", None)
    pending = await sign_in(client, "demo-north")
    assert pending.status_code == 202, pending.text
    assert pending.json()["phone_hint"] is None


async def test_confirm_with_a_bad_body_is_422_naming_the_field(client, schools, providers):
    bad = await client.post(
        "/v1/auth/oidc/demo-north/confirm",
        json={"link_token": "x" * 20, "phone": NEW_PERSON, "code": "12ab"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "code"


@cross_school
async def test_unlinking_lists_nothing_and_another_persons_identity_is_404(
    client, owner, login, schools, providers
):
    """ACC-8: unlinking withdraws the authorisation; someone else's identity is not found."""
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    tokens = (await sign_in(client, "demo-north")).json()
    listed = (await client.get("/v1/me/identities", headers=bearer(tokens))).json()["items"]
    other = await login("+8613900000001")
    foreign = await client.delete(f"/v1/me/identities/{listed[0]['id']}", headers=other)
    _is_problem(foreign, 404, "not-found")
    gone = await client.delete(f"/v1/me/identities/{listed[0]['id']}", headers=bearer(tokens))
    assert gone.status_code == 204
    assert (await client.get("/v1/me/identities", headers=bearer(tokens))).json()["items"] == []
    _is_problem(
        await client.delete(f"/v1/me/identities/{listed[0]['id']}", headers=bearer(tokens)),
        404,
        "not-found",
    )
    assert (await client.get("/v1/me/identities")).status_code == 401


async def test_another_schools_provider_cannot_sign_in_here(client, schools, providers):
    """A state begun at one school is refused at another's callback; another school's
    provider asserting this school's admin gets no tokens without an SMS code."""
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    callback = await consent(await to_provider(client, "demo-north"))
    crossed = callback.replace("/demo-north/", "/demo-south/")
    _is_problem(await client.get(crossed), 401, "invalid-state")
    # South's provider names North's admin with a verified phone: not a member of South.
    providers["demo-south"].person = Person("south-claims-north-admin", ADMIN_NORTH)
    answer = await sign_in(client, "demo-south")
    assert answer.status_code == 202, answer.text
    assert "access_token" not in answer.json()


async def test_an_identity_linked_at_one_school_does_not_sign_in_at_another(
    client, owner, schools, providers
):
    """The same subject at another school's provider is another identity."""
    providers["demo-north"].person = Person("shared-subject", NEW_PERSON)
    assert (await sign_in(client, "demo-north")).status_code == 200
    providers["demo-south"].person = Person("shared-subject", None)
    assert (await sign_in(client, "demo-south")).status_code == 202


async def test_an_unknown_school_is_404(client, schools, providers):
    _is_problem(await client.get("/v1/auth/oidc/no-such-school/login"), 404, "not-found")
