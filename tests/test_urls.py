import pytest

from citewatch.urls import InvalidURL, check_cited_url, normalize_url


@pytest.mark.parametrize(
    ("cited", "identity"),
    [
        ("HTTPS://WWW.Example.COM/a", "https://www.example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=5", "https://example.com/a?id=5"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_identity_ignores_what_does_not_make_another_source(cited, identity):
    assert normalize_url(cited) == identity


def test_paths_and_meaningful_queries_still_differ():
    assert normalize_url("https://e.com/a") != normalize_url("https://e.com/b")
    assert normalize_url("https://e.com/a?id=1") != normalize_url("https://e.com/a?id=2")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("mailto:press@example.org", "unsupported scheme 'mailto'"),
        ("ftp://example.org/file", "unsupported scheme 'ftp'"),
        ("/incident/other", "relative URL"),
        ("not a url", "spaces"),
        ("http://", "no valid host"),
        ("https://exa mple.com/", "spaces"),
        ("http://example.com:99999/", "malformed"),
        ("", "not a URL"),
        (None, "not a URL"),
    ],
)
def test_unfetchable_urls_are_rejected_with_a_reason(url, message):
    with pytest.raises(InvalidURL, match=message):
        check_cited_url(url)


def test_cited_form_is_kept_trimmed():
    assert check_cited_url("  https://Example.com/A?utm_source=x ") == "https://Example.com/A?utm_source=x"
