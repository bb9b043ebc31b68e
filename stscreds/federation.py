"""The AWS console's federation endpoint: a sign-in token for temporary credentials, and the link
that signs a browser in to the console with it.

The protocol is the IAM User Guide's "Enable custom identity broker access to the AWS console":
`Action=getSigninToken` with `Session={"sessionId", "sessionKey", "sessionToken"}` answers
`{"SigninToken": ...}`; then `Action=login&Issuer=&Destination=URL&SigninToken=...` on the same
endpoint, opened in a browser, signs it in and goes to the destination. The link is a bearer
secret for 15 minutes (AWS: "treat the URL as a secret"): it is never logged (errors.redact masks
the token and the Session parameter) and never put in an error message.

The endpoint is `/federation` on the partition's sign-in host (`signin.aws.amazon.com`,
`signin.amazonaws-us-gov.com`, `signin.amazonaws.cn`). botocore does not model it (its `signin`
service is AWS Sign-In's OAuth API, behind `aws login`), so this is a plain HTTPS call, made
with botocore's HTTP session for its proxies (HTTPS_PROXY...) and CA bundle, and with stscreds'
timeouts and attempts (aws.Timeouts). `AWS_ENDPOINT_URL_SIGNIN`, botocore's variable for the
`signin` service's host, moves it: the endpoint is then that URL + `/federation`. That is
stscreds' use of botocore's variable, not botocore's (tests point it at a fake).

The token is asked for with POST and a form body, not GET with the credentials in the query
string (the documentation's example): the secret key then never appears in a URL that a proxy
or a debug log could record.

SessionDuration is never sent: AWS refuses it for role credentials got with temporary
credentials (every role stscreds assumes is assumed with the MFA session or another role's
credentials) and for GetFederationToken's, and documents nothing for IAM Identity Center's.
Without it, the console session lasts as long as the credentials it was made from.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from stscreds.credentials import Credentials
from stscreds.errors import AwsError, AwsUnreachableError, NotAwsAnswerError, UsageError
from stscreds.version import VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import Timeouts

log = logging.getLogger(__name__)

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SIGNIN"
LINK_SECONDS = 15 * 60  # AWS: "The URL is valid for 15 minutes from the time it is created"

# partition -> (sign-in host, console host), from AWS's endpoint pages.
PARTITIONS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
}


class FederationRefusedError(AwsError):
    """The federation endpoint refused the credentials (HTTP 400)."""


def partition(region: str | None) -> str:
    """The partition of `region` (aws when none is known). The isolated and sovereign
    partitions have no public federation endpoint: refused, so that no credentials of theirs
    are ever sent to another partition's."""
    if not region:
        return "aws"
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if "-iso" in region or region.startswith("eusc-"):
        raise UsageError(
            f"region {region} is in a partition whose console stscreds cannot sign in to; "
            "it knows those of aws, aws-us-gov and aws-cn"
        )
    return "aws"


def partition_of_console(url: str) -> str | None:
    """The partition whose console `url` is on, or None when it is on none."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return None
    for name, (_, console) in PARTITIONS.items():
        if host == console or host.endswith("." + console):
            return name
    return None


def endpoint(partition_name: str, environ: dict[str, str] | None = None) -> str:
    """The federation endpoint: the partition's, or AWS_ENDPOINT_URL_SIGNIN's + /federation."""
    environ = dict(os.environ) if environ is None else environ
    moved = environ.get(ENDPOINT_VARIABLE, "")
    if moved:
        parts = urlsplit(moved)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise UsageError(f"{ENDPOINT_VARIABLE} {moved[:80]!r} is not a URL like https://signin.example.com")
        return moved.rstrip("/") + "/federation"
    return f"https://{PARTITIONS[partition_name][0]}/federation"


def console_home(partition_name: str, region: str | None) -> str:
    """The console's home page, in `region` when there is one (as aws-vault opens it)."""
    console = PARTITIONS[partition_name][1]
    if not region:
        return f"https://{console}/"
    return f"https://{region}.{console}/console/home?{urlencode({'region': region})}"


def signin_token(
    credentials: Credentials, url: str, timeouts: Timeouts | None = None, verify: str | bool = True
) -> str:
    """getSigninToken for `credentials` at the federation endpoint `url`: the token. A refusal,
    an answer that is not AWS's, or no answer is one line (AwsError) naming the endpoint, never
    the body (it could hold anything) and never the credentials."""
    from botocore.awsrequest import AWSRequest
    from botocore.exceptions import ConnectionError, HTTPClientError
    from botocore.httpsession import URLLib3Session
    from botocore.utils import get_environ_proxies

    from stscreds.aws import Timeouts

    timeouts = timeouts or Timeouts()
    session = {
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key,
        "sessionToken": credentials.session_token,
    }
    body = urlencode({"Action": "getSigninToken", "Session": json.dumps(session)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": f"stscreds/{VERSION}"}
    http = URLLib3Session(verify=verify, proxies=get_environ_proxies(url), timeout=(timeouts.connect, timeouts.read))
    try:
        attempt = 1
        while True:
            log.debug("getSigninToken at %s, attempt %d of %d", url, attempt, timeouts.attempts)
            last = attempt >= timeouts.attempts
            try:
                answer = http.send(AWSRequest("POST", url, data=body, headers=headers).prepare())
            except (ConnectionError, HTTPClientError) as error:
                if last:
                    raise AwsUnreachableError(f"could not reach the sign-in endpoint {url}: {error}") from None
            else:
                log.debug("getSigninToken at %s: HTTP %d", url, answer.status_code)
                if last or not (answer.status_code >= 500 or answer.status_code == 429):
                    return _token_from(answer.status_code, answer.content, url)
            time.sleep(2.0 ** (attempt - 1))  # as botocore backs off: about 1 s, then 2 s
            attempt += 1
    finally:
        http.close()


def _token_from(status: int, content: bytes, url: str) -> str:
    if status == 400:
        raise FederationRefusedError(
            f"{url} refused the credentials (HTTP 400), as AWS does for credentials that expired, were revoked, "
            "or are of a kind that cannot sign in to the console"
        )
    if status == 200:
        try:
            answer: Any = json.loads(content)
        except ValueError:
            answer = None
        token = answer.get("SigninToken") if isinstance(answer, dict) else None
        if isinstance(token, str) and token and token.isascii() and token.isprintable() and " " not in token:
            return token
    raise NotAwsAnswerError(
        f"{url} did not answer getSigninToken like AWS (HTTP {status}: a proxy, a captive portal or a cut-off "
        "answer?); nothing was opened"
    )


def login_url(url: str, token: str, destination: str, issuer: str = "") -> str:
    """The link that signs a browser in, then opens `destination`: a secret for 15 minutes."""
    query = urlencode({"Action": "login", "Issuer": issuer, "Destination": destination, "SigninToken": token})
    return f"{url}?{query}"
