"""The pure parts behind the pages: the citizen's view of an access-log entry, the console's verdict, the folded
timeline, and the static files' safety (no inline script, every i18n key in both languages)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from services.intake import pages
from services.intake.citizen_access_log import shown
from services.intake.console import folded, timeline
from services.intake.console_overview import LAG_WARNING, problems

AT = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def test_the_citizen_sees_role_department_and_purpose_never_the_staff_members_name():
    entry = {"entry_id": 7, "at": AT, "subject": "wang.li", "role": "caseworker", "what": "application", "purpose": "income"}
    seen = shown(entry)
    assert seen == {"entry_id": 7, "at": AT.isoformat(), "role": "caseworker", "department": "caseworker",
                    "what": "application", "purpose": "income"}
    assert "wang.li" not in str(seen)
    machine = shown({**entry, "subject": "civil-affairs-registry", "role": "department"})
    assert machine["department"] == "civil-affairs-registry"  # a department system's subject is the department


def test_the_verdict_names_each_thing_wrong_and_nothing_when_all_is_well():
    assert problems(0, 0, 0, {"intake": 3}) == []
    found = problems(2, 1, 4, {"intake": 0, "red_cross": LAG_WARNING + 1})
    assert found == ["2 stuck (not notified after 10 min)", "1 escalated", "4 message(s) on the DLQ",
                     f"red_cross is {LAG_WARNING + 1:,} messages behind"]
    assert problems(0, 0, None, None) == ["Kafka's figures unavailable"]


def span(span_id, parent, service, name, start, end):
    return {"trace_id": "t", "span_id": span_id, "parent_id": parent, "service": service, "name": name,
            "start": f"2026-11-20T09:30:{start:06.3f}+00:00", "end": f"2026-11-20T09:30:{end:06.3f}+00:00"}


def test_publish_spans_fold_into_the_line_that_sent_them():
    spans = [span("a", None, "intake", "POST /v1/applications", 0, 1),
             span("b", "a", "intake", "aid.application.submitted publish", 0.5, 0.6),
             span("c", "b", "verification", "aid.application.submitted process", 1, 2),
             span("d", "c", "verification", "aid.application.verified publish", 1.5, 1.6),
             span("e", "c", "verification", "aid.application.verified publish", 1.7, 3),  # ends last: not shown
             span("f", "zz", "civil_affairs", "aid.decision.made publish", 2, 2.1)]  # its parent is not stored: kept
    shown_spans, published = folded(spans)
    assert [s["span_id"] for s in shown_spans] == ["a", "c", "f"]
    assert published == {"a": ["aid.application.submitted"], "c": ["aid.application.verified"] * 2}
    html = timeline(spans)
    assert html.count('class="span-row"') == 3
    assert "→ aid.application.verified ×2" in html and "6 spans (3 publishes folded" in html
    assert 'style="left:0.000%;width:47.619%"' in html  # scaled to the lines shown: 0 .. 2.1 s


def test_the_pages_carry_no_inline_script_and_every_word_in_both_languages():
    folder = pages.FOLDER
    for name in ("index.html", "workbench.html"):
        html = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name  # every script is a file (the CSP allows no other)
        assert not re.search(r"\son[a-z]+=", html), name  # no inline event handler either
        assert "style=" not in html, name
    i18n = (folder / "i18n.js").read_text(encoding="utf-8")
    zh, en = i18n.split("\n  en: {")[0], i18n.split("\n  en: {")[1].split("errorsZh")[0]
    keys = lambda block: set(re.findall(r'"([a-z0-9_.]+[a-z0-9_ ]*)":', block))  # noqa: E731
    assert keys(zh) == keys(en), keys(zh) ^ keys(en)
    used = set()
    for name in ("index.html", "workbench.html"):
        used |= set(re.findall(r'data-i18n="([^"]+)"', (folder / name).read_text(encoding="utf-8")))
    assert used <= keys(zh), used - keys(zh)
    assert 'data-subject="&lt;b&gt;&quot;"' in pages.workbench_page("caseworker", '<b>"')  # the subject is escaped
    assert "script-src 'self'" in pages.HEADERS["Content-Security-Policy"] and "unsafe" not in pages.HEADERS["Content-Security-Policy"]
