"""Due dates 15 working days ahead on the Chinese calendar (RGT-2, RGT-11, RGT-22, RGT-25)."""

from __future__ import annotations

from pathlib import Path

from app.rights.workdays import SCHEDULE_FILE, WorkdayCalendar
from tests.privacy.people import STUDENT, move_clock_to

ACCESS = {"type": "access"}


async def _file(client, login, body=None):
    headers = await login(STUDENT)
    response = await client.post("/v1/me/requests", json=body or ACCESS, headers=headers)
    assert response.status_code == 201, response.text
    return response.json(), headers


async def test_due_date_across_national_day_2025_counts_make_up_days(client, login, people):
    """Received Fri 2025-09-26: Sun 09-28 and Sat 10-11 are working days, 10-01..08 are not."""
    move_clock_to(2025, 9, 26)
    body, _ = await _file(client, login)
    assert body["received_on"] == "2025-09-26"
    assert body["due_on"] == "2025-10-23"
    assert body["provisional"] is False
    assert body["status"] == "in_progress"


async def test_due_date_across_spring_festival_2026(client, login, people):
    """Received Tue 2026-02-10: 02-14 and 02-28 (Saturdays) work, 02-15..23 are off."""
    move_clock_to(2026, 2, 10)
    body, _ = await _file(client, login)
    assert (body["due_on"], body["provisional"]) == ("2026-03-09", False)


async def test_due_date_across_national_day_2026(client, login, people):
    """Received on the Mid-Autumn holiday 2026-09-25; Sat 10-10 is a make-up working day."""
    move_clock_to(2026, 9, 25)
    body, _ = await _file(client, login)
    assert (body["due_on"], body["provisional"]) == ("2026-10-22", False)


async def test_a_year_not_in_the_schedule_is_provisional_until_the_file_gains_it(
    client, login, people, app, tmp_path: Path
):
    """2027 is not in policies/workdays-cn.toml: the rules give 06-23; the official table,
    once added, gives 06-25 and the date stops being provisional."""
    move_clock_to(2027, 6, 1)
    body, headers = await _file(client, login)
    assert (body["due_on"], body["provisional"]) == ("2027-06-23", True)
    assert body["routed_to"][0]["provisional"] is True

    grown = tmp_path / "workdays-cn.toml"
    grown.write_text(
        SCHEDULE_FILE.read_text()
        + '\n[2027]\nholidays = ["2027-06-07", "2027-06-08", "2027-06-09"]\nworkdays = []\n'
    )
    app.state.workday_calendar = WorkdayCalendar.load(grown)
    again = await client.get(f"/v1/me/requests/{body['id']}", headers=headers)
    assert again.status_code == 200
    assert (again.json()["due_on"], again.json()["provisional"]) == ("2027-06-25", False)
    listed = await client.get("/v1/me/requests", headers=headers)
    assert [(r["id"], r["due_on"]) for r in listed.json()["items"]] == [(body["id"], "2027-06-25")]
