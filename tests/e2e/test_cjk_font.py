"""Issue 16: Chinese renders as glyphs, not as the missing-glyph box, on the citizen page and the console.

Without a CJK font every Chinese character falls back to the same .notdef box, so two different characters
render to identical pixels, and both equal a private-use character that no font has. `make test` installs
fonts-noto-cjk with chromium; this test fails if the font is missing.
"""
from __future__ import annotations

from tests.e2e.browser import PHONE, Shots, chromium

PROBES = {"shen": "申", "qing": "请", "nothing": "\ue000"}  # 申请 (apply), and a code point no font draws


def glyph_pixels(page) -> dict[str, bytes]:
    """Each probe character drawn large in the page's own font stack, as a PNG of its box."""
    page.evaluate("""(probes) => {
        for (const [id, text] of Object.entries(probes)) {
            const span = document.createElement('span');
            span.id = 'probe-' + id;
            span.textContent = text;
            Object.assign(span.style, {fontSize: '64px', lineHeight: '80px', display: 'inline-block', padding: '4px',
                                       background: '#fff', color: '#000'});
            document.body.prepend(span);
        }
    }""", PROBES)
    return {name: page.locator(f"#probe-{name}").screenshot() for name in PROBES}


def assert_real_glyphs(pixels: dict[str, bytes], where: str) -> None:
    assert pixels["shen"] != pixels["qing"], f"{where}: 申 and 请 render the same: no CJK font (missing-glyph boxes)"
    assert pixels["shen"] != pixels["nothing"], f"{where}: 申 renders as the missing-glyph box"


def test_chinese_renders_as_glyphs_on_the_citizen_page_and_the_console(system, worked_examples, request):
    shots = Shots(request.node.name)
    application_id = worked_examples["A"]["application_id"]
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        page.goto(f"{system.base}/")
        page.get_by_role("heading", name="联合救助申请").wait_for()
        title = page.get_by_role("heading", name="联合救助申请").bounding_box()
        assert title["width"] > 100  # six characters, each drawn
        assert_real_glyphs(glyph_pixels(page), "the citizen page")
        shots.take(page, "citizen-page")

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        console = context.new_page()
        console.goto(f"{system.base}/console/login")
        console.get_by_label("Your access token").fill(system.token("operator", "e2e-cjk"))
        console.get_by_role("button", name="Sign in").click()
        console.goto(f"{system.base}/console/applications/{application_id}")
        assert "您好" in console.locator("#notification").inner_text()  # the one notice, in Chinese
        assert_real_glyphs(glyph_pixels(console), "the console")
        shots.take(console, "console-notice")
