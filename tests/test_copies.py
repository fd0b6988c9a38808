"""Wayback copies are fetched back and judged before anyone is told to cite them: only a
copy holding the version citewatch archived is offered as "cite instead"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import ARTICLE, Checker, make_pdf, query, run_cli, status_json
from webserver import Page

CHALLENGE = """<html><head><title>Just a moment...</title></head><body><div id="challenge-running">
Checking if the site connection is secure. Enable JavaScript and cookies to continue.</div>
<div class="cf-turnstile" data-sitekey="0x4AAAA"></div></body></html>"""
CHALLENGE_DE = """<html><head><title>Sicherheitsüberprüfung</title></head><body><div class="x9f2k">
<h1>Bitte bestätigen Sie, dass Sie ein Mensch sind</h1><div class="g-recaptcha" data-sitekey="6Lc"></div>
</div></body></html>"""
CONSENT_FR = """<html><head><title>Le Monde diplomatique</title>
<script src="https://sdk.privacy-center.org/loader.js"></script><script>window.didomiConfig = {};</script></head>
<body><div id="didomi-host"><h2>Nous respectons votre vie privée</h2><p>Avec votre accord, nous et nos partenaires
utilisons des cookies. Vous pouvez accepter ou refuser.</p><button>Accepter</button><button>Refuser</button></div>
</body></html>"""
PARKED_ES = """<html><head><title>dominio-noticias.com</title></head><body><h1>Este dominio está a la venta</h1>
<p>¿Le interesa este dominio? Contacte con el propietario. Enlaces patrocinados: seguros, préstamos, viajes.</p>
</body></html>"""
PARKED_EN = """<html><head><title>news-example.org - This domain may be for sale!</title></head><body>
<div class="a1"><p>Buy this domain. The domain owner may be interested in selling it.</p>
<p>Related searches: Breaking News, World News, Online Degrees</p></div></body></html>"""
NOT_FOUND_IT = """<html><head><title>Pagina non trovata | Corriere</title></head><body><h1>Pagina non trovata</h1>
<p>La pagina che cerchi non esiste o è stata spostata.</p><a href="/">Torna alla home</a></body></html>"""
NOT_FOUND_PL = """<html><head><title>Nie znaleziono strony</title></head><body><h1>Błąd 404 - strona nie istnieje</h1>
<p>Przepraszamy, nie możemy znaleźć strony, której szukasz.</p></body></html>"""

BAD_COPIES = {
    "bot check (en)": CHALLENGE,
    "bot check (de, obfuscated classes)": CHALLENGE_DE,
    "consent wall (fr)": CONSENT_FR,
    "parked domain (es)": PARKED_ES,
    "parked domain (en)": PARKED_EN,
    "not-found page (it)": NOT_FOUND_IT,
    "not-found page (pl)": NOT_FOUND_PL,
}


@pytest.fixture
def config(config_file, wayback):
    text = config_file.read_text().replace("[wayback]\nenabled = false\n", "")
    config_file.write_text(text + f'[wayback]\nbase_url = "{wayback.base_url}"\nmin_interval = 1\ntimeout = 5\nper_minute = 600\n')
    return config_file


def cited_and_checked(config, tmp_path, web, body=ARTICLE, path="/article"):
    web.pages[path] = Page(body) if isinstance(body, str) else body
    checker = Checker(config, tmp_path)
    checker.now = checker.now.replace(year=2026, month=1, day=5)
    url = web.url(path)
    checker.cite(url)
    checker.check()
    return checker, url


def copies(config) -> list[dict]:
    return query(config, "SELECT * FROM archive_copies ORDER BY id")


def test_a_capture_of_the_article_is_verified_and_offered(config, tmp_path, web, wayback):
    _, url = cited_and_checked(config, tmp_path, web)
    result = run_cli(config, "archive")  # Save Page Now captures the live page; the copy is fetched back
    assert result.exit_code == 0 and "1 copy checked" in result.output, result.output
    (copy,) = copies(config)
    assert copy["verdict"] == "verified" and copy["similarity"] == 1.0 and copy["snapshot_id"] == 1
    assert status_json(config)[url]["archive_url"] == copy["archive_url"]
    assert any(path.startswith("/web/") and "id_/" in path for _, path, _ in wayback.requests)  # the raw form


def test_the_framed_form_is_read_without_the_toolbar_when_the_raw_one_fails(config, tmp_path, web, wayback):
    _, url = cited_and_checked(config, tmp_path, web)
    wayback.raw_fails = True
    wayback.add_copy(url, ARTICLE, timestamp="20260106000000")
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    (copy,) = copies(config)
    assert copy["verdict"] == "verified", copy


def test_a_pdf_capture_is_verified(config, tmp_path, web, wayback):
    pdf = make_pdf("Court filing", ["The court ordered the release of the detainees.", "Signed, the registrar."])
    _, url = cited_and_checked(config, tmp_path, web, Page(pdf, headers={"Content-Type": "application/pdf"}), "/filing.pdf")
    wayback.add_copy(url, pdf, timestamp="20260106000000", headers={"Content-Type": "application/pdf"})
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    assert copies(config)[0]["verdict"] == "verified"


@pytest.mark.parametrize("kind", sorted(BAD_COPIES))
def test_a_capture_of_something_else_is_unusable(config, tmp_path, web, wayback, kind):
    _, url = cited_and_checked(config, tmp_path, web)
    wayback.add_copy(url, BAD_COPIES[kind], timestamp="20260106000000")
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    (copy,) = copies(config)
    assert copy["verdict"] == "unusable" and copy["reason"], (kind, copy)
    assert status_json(config)[url]["archive_url"] is None


def test_a_capture_of_an_error_page_is_unusable(config, tmp_path, web, wayback):
    checker, url = cited_and_checked(config, tmp_path, web)
    web.pages["/article"] = Page("<h1>Not Found</h1>", status=404)  # gone before Save Page Now came
    assert run_cli(config, "archive").exit_code == 0
    (copy,) = copies(config)
    assert copy["verdict"] == "unusable" and "not found" in copy["reason"]


def test_a_capture_of_another_version_is_a_mismatch_with_its_similarity(config, tmp_path, web, wayback):
    _, url = cited_and_checked(config, tmp_path, web)
    edited = ARTICLE.replace("$5 billion", "$2 billion")
    wayback.add_copy(url, edited, timestamp="20260106000000")
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    (copy,) = copies(config)
    assert copy["verdict"] == "mismatch" and 0.5 < copy["similarity"] < 1.0 and "changed" in copy["reason"], copy


def test_the_digest_offers_only_a_verified_copy_and_otherwise_the_local_one(config, tmp_path, web, wayback):
    checker, url = cited_and_checked(config, tmp_path, web)
    wayback.add_copy(url, CHALLENGE, timestamp="20260106000000")
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    web.pages["/article"] = Page("gone", status=404)
    for days in (1, 2, 3, 4):
        checker.check(after=timedelta(days=days))
    preview = run_cli(config, "alert", "--dry-run").output
    assert "DEAD" in preview and wayback.base_url not in preview
    assert "no verified Wayback copy: the Wayback copy of 2026-01-06 is not the article" in preview
    assert f"Local copy: citewatch snapshot {url}" in preview


def test_a_capture_with_no_local_version_to_hold_it_against_is_unchecked(config, tmp_path, web, wayback):
    _, url = cited_and_checked(config, tmp_path, web, Page("<h1>Not Found</h1>", status=404))
    wayback.add_copy(url, ARTICLE, timestamp="20250601000000")  # from before citewatch ever saw the page
    assert run_cli(config, "archive", "--lookup").exit_code == 0
    (copy,) = copies(config)
    assert copy["verdict"] == "unchecked" and copy["snapshot_id"] is None
    assert status_json(config)[url]["archive_url"] is None


def test_a_cdx_line_naming_no_real_moment_is_left_out(config, tmp_path, web, wayback):
    _, url = cited_and_checked(config, tmp_path, web)
    wayback.add_copy(url, ARTICLE, timestamp="20261399000000")  # month 13: the CDX API answers what it holds
    result = run_cli(config, "archive", "--lookup")  # waybackpy alone raised ValueError here
    assert result.exit_code == 0 and "0 with an archived copy; 0 copies checked" in result.output, result.output
