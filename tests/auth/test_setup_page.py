"""The first page of an empty Carnet says the same commands as the README, as code."""

import re

from app.core.db import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


# The README's first command serves Carnet; its first command in backticks with "demo" in
# it loads the demo data. Whatever they become, the setup page must say the same.
RUN = re.search(r"```sh\n(\S+ \S+)", README).group(1)
DEMO = re.search(r"`([^`\n]*\bdemo\b[^`\n]*)`", README).group(1)


def test_the_setup_page_shows_the_readmes_commands_as_code_not_backticks(anon):
    page = anon.get("/setup", headers={"Accept-Language": "en"}).text
    assert "`" not in page
    said = re.search(r'id="setup-demo">(.*?)</p>', page, re.S).group(1)
    assert f"<code>{DEMO}</code>" in said and f"<code>{RUN}</code>" in said


def test_the_setup_page_and_the_readme_say_how_to_start_over(anon):
    start_over = README.split("**To start over**", 1)[1].split("\n\n", 1)[0]
    for named in ("`data`", "`CARNET_DATA_DIR`", f"`{RUN}`"):
        assert named in start_over
    for language in ("en", "fr"):
        page = anon.get("/setup", headers={"Accept-Language": language}).text
        said = re.search(r'id="setup-reset">(.*?)</p>', page, re.S).group(1)
        for named in ("<code>data</code>", "<code>CARNET_DATA_DIR</code>", f"<code>{RUN}</code>"):
            assert named in said, (language, named)
        assert "`" not in page
