"""RFC 3161 trusted timestamps, with rfc3161-client: asking an authority for a token over
some bytes, and checking a token offline against those bytes and trusted root certificates.

A token is the authority's signed statement that a SHA-256 digest existed at its time
(genTime). It proves the bytes it covers are no younger than that time and unchanged
since; it says nothing about whether they were what the site served (that is the WARC
record's own claim) or who asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from citewatch.errors import BadInput
from citewatch.model import Problem
from citewatch.version import __version__

USER_AGENT = f"citewatch/{__version__} (link-rot monitor)"


class TokenInvalid(Exception):
    """A token that is not an authority's valid statement over the bytes given."""


class NoToken(Exception):
    """An authority gave no usable token this time."""


@dataclass(frozen=True)
class Token:
    der: bytes  # the TimeStampResp, as sent
    tsa_url: str
    attested_at: datetime  # the token's genTime


def load_roots(paths: tuple[Path, ...]) -> list[x509.Certificate]:
    """The trusted root certificates in the PEM files `paths`; BadInput naming a file
    that cannot be read or holds none."""
    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as error:
            raise BadInput(f"evidence.tsa_roots: cannot read certificates from {path}: {error}") from error
    return roots


def request_token(tsa_url: str, data: bytes, roots: list[x509.Certificate], timeout: float) -> Token:
    """A token over SHA-256(`data`) from the authority at `tsa_url`, checked before it is
    trusted (signature, chain to `roots`, nonce, digest). NoToken when it gives none."""
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).cert_request(
        cert_request=True).build()
    try:
        answer = requests.post(
            tsa_url, data=request.as_bytes(), timeout=timeout,
            headers={"Content-Type": "application/timestamp-query", "User-Agent": USER_AGENT},
        )
    except requests.RequestException as error:
        raise NoToken(f"{tsa_url}: {type(error).__name__}") from error
    if answer.status_code != 200:
        raise NoToken(f"{tsa_url}: answered {answer.status_code}")
    try:
        response = decode_timestamp_response(answer.content)
        builder = VerifierBuilder.from_request(request)
        for root in roots:
            builder = builder.add_root_certificate(root)
        builder.build().verify_message(response, data)
    except (ValueError, VerificationError) as error:
        raise NoToken(f"{tsa_url}: no valid token: {error}") from error
    return Token(answer.content, tsa_url, response.tst_info.gen_time)


def authority_problems(tsa_urls: tuple[str, ...], root_files: tuple[Path, ...], timeout: float) -> list[Problem]:
    """What stops each authority giving a token that verifies: a token over a test
    digest is asked for and checked, as every archived version's is."""
    try:
        roots = load_roots(root_files)
    except BadInput as error:
        return [Problem("evidence.tsa_roots", str(error), "Name the PEM files of the authorities' root certificates")]
    problems = []
    for url in tsa_urls:
        try:
            request_token(url, b"citewatch doctor", roots, timeout)
        except NoToken as error:
            problems.append(Problem(f"time-stamping authority {url}", str(error).removeprefix(f"{url}: "),
                                    "Check the URL, and that evidence.tsa_roots holds its root certificate; "
                                    "versions wait for a token meanwhile"))
    return problems


def check_token(der: bytes, data: bytes, roots: list[x509.Certificate]) -> datetime:
    """The time a stored token attests for `data`; TokenInvalid when it does not cover
    these bytes or does not chain to one of `roots`."""
    if not roots:
        raise TokenInvalid("no trusted root certificate to check it against (set evidence.tsa_roots)")
    try:
        response = decode_timestamp_response(der)
        builder = VerifierBuilder()
        for root in roots:
            builder = builder.add_root_certificate(root)
        builder.build().verify_message(response, data)
    except (ValueError, VerificationError) as error:
        detail = str(error).split("Traceback")[0].strip()[:300]
        raise TokenInvalid("it was issued for other bytes than these" if "Mismatch between messages" in detail else detail) from error
    return response.tst_info.gen_time
