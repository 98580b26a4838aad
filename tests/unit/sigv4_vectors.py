#!/usr/bin/python3
"""Prints SigV4 vectors for tests/unit/test_s3_sigv4.c, computed by the
botocore that Debian's awscli package ships (independent of our signer).
Run: /usr/bin/python3 tests/unit/sigv4_vectors.py"""
import datetime
from unittest import mock

import awscli  # noqa: F401  (makes the bundled botocore importable as botocore)
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 11, 21, 12, 34, 56)
CASES = [
    # name, method, url, headers, body, token
    ("put_path_style", "PUT", "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc~.csv", {}, b"hello", None),
    ("list_query", "GET", "http://127.0.0.1:9000/bucket?list-type=2&prefix=a%2Fb%20c&max-keys=3&continuation-token=1%2F%2B%3D", {}, b"", None),
    ("token_range", "GET", "https://bucket.s3.eu-west-1.amazonaws.com/k%C3%A9y", {"Range": "bytes=5-9"}, b"", "FQoGZXIvYXdz//token+/="),
    ("multipart_post", "POST", "http://127.0.0.1:9000/bucket/big.bin?uploads=", {"Content-Type": "application/xml"}, b"", None),
]


def headers_signed(req):
    auth = req.headers["Authorization"]
    return auth


def main():
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    with mock.patch("botocore.auth.datetime") as dt:
        dt.datetime.utcnow.return_value = NOW
        dt.datetime.now.return_value = NOW
        for name, method, url, headers, body, token in CASES:
            c = Credentials(creds.access_key, creds.secret_key, token)
            req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
            S3SigV4Auth(c, "s3", "eu-west-1" if "amazonaws" in url else "us-east-1").add_auth(req)
            print(name, "auth", req.headers["Authorization"])
            print(name, "sha", req.headers["X-Amz-Content-SHA256"])
        req = AWSRequest(method="GET", url="http://127.0.0.1:9000/bucket/dir/x%20y.csv", data=b"")
        S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=600).add_auth(req)
        print("presign_get", "url", req.url)


main()
