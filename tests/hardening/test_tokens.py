"""Token checks are total and come first (#11)."""

from __future__ import annotations

from joserfc import jwt

from app.core.security import JWT_ALG


async def test_a_token_with_a_huge_exp_is_401_not_500(client, app, schools):
    """ACC: a signed token whose `exp` overflows a datetime is refused like any bad token."""
    signer = app.state.ctx.keys.signer
    claims = {"sub": "01a23ae3-497a-7543-b936-08a1a137f5cf", "iss": "rostra", "exp": 1e20}
    token = jwt.encode({"alg": JWT_ALG, "kid": signer.key.kid}, claims, signer.key, [JWT_ALG])
    for url in ("/v1/me", "/v1/tenants/demo-north/members"):
        response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (url, response.text)


async def test_without_a_token_unknown_and_known_schools_both_answer_401(client, schools):
    """School slugs cannot be listed by probing without a token."""
    for slug in ("demo-north", "no-such-school"):
        for url in (f"/v1/tenants/{slug}/members", f"/v1/tenants/{slug}/audit"):
            response = await client.get(url)
            assert response.status_code == 401, (url, response.text)
