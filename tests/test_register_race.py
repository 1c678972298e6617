"""People registering the same email at the same moment: never a 500, and the address belongs
to nobody until a confirmation link is opened (services/accounts/emails.py)."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import User

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def test_simultaneous_registrations_of_one_email_never_fail_and_confirm_nothing(fresh_app):
    app = fresh_app(seeded=False)
    clients = [app.test_client() for _ in range(4)]
    tokens = [CSRF.search(c.get("/account/register").get_data(as_text=True)).group(1)
              for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def register(client, token):
        barrier.wait()
        response = client.post("/account/register", data={
            "csrf_token": token, "full_name": "Lò Văn Sáng", "email": "sang@example.vn",
            "password": "ruộng-bậc-thang-9", "confirm": "ruộng-bậc-thang-9", "consent": "y"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=register, args=pair)
               for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 4
    with app.app_context(), get_db(app).transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(User)
                              .where(User.email == "sang@example.vn")) == 0
        assert session.scalar(select(func.count()).select_from(User)
                              .where(User.pending_email == "sang@example.vn")) == 4
