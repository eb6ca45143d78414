"""Raw survey comments are for the department: its directors, the people who work in it and
administrators read them; other directors see only the quotes the department approved."""

from __future__ import annotations

from tests.factories import make_department, make_finding, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import SurveyComment


def test_only_the_department_reads_its_raw_comments(ctx, make_client):
    ict = make_department("ICT")
    hr = make_department("P&O")
    make_user(Role.director, email="dir@example.org", directs=[ict])
    make_user(Role.director, email="other@example.org", directs=[hr])
    make_user(Role.owner, email="staff@example.org", staff_of=[ict])
    make_user(Role.admin, email="admin@example.org")
    finding = make_finding(ict)
    db.session.add_all(
        [
            SurveyComment(
                round_id=finding.round_id,
                department_id=ict.id,
                text="De servicedesk neemt nooit op na vieren",
                approved=False,
            ),
            SurveyComment(
                round_id=finding.round_id,
                department_id=ict.id,
                text="Fijn dat de chat er is",
                approved=True,
            ),
        ]
    )
    db.session.commit()
    url = f"/surveys/{finding.round_id}/departments/{ict.id}"
    for email, raw in (
        ("dir@example.org", True),
        ("staff@example.org", True),
        ("admin@example.org", True),
        ("other@example.org", False),
    ):
        client = make_client()
        client.login(email)
        response = client.get(url)
        assert response.status_code == 200, email
        page = response.get_data(as_text=True)
        assert "Fijn dat de chat er is" in page, email
        assert ("De servicedesk neemt nooit op" in page) is raw, email
        assert ("data-quotes-only" in page) is (not raw), email
