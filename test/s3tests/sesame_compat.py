"""pytest plugin of Sesame's runner of ceph/s3-tests (test/s3tests).

The runner copies the unmodified suite to a temporary folder, writes this
file beside it and runs pytest with ``-p sesame_compat``. It changes no
test. It does two things:

* Bucket cleanup without ListObjectVersions. The suite empties every
  bucket it made, before and after each test, with ListObjectVersions
  (``s3tests.functional.list_versions``). A server that answers it with
  NotImplemented would make every test after the first error in setup, so
  the cleanup falls back to ListObjectsV2 (plain keys, no version ids) when,
  and only when, ListObjectVersions answers NotImplemented. The tests that
  call ListObjectVersions themselves still see the NotImplemented. The
  terminal summary says whether the fallback was used.

* ``--sesame-only FILE``: run only the tests that FILE names, one a line
  (``test_s3.py::test_name`` or ``test_name``; ``#`` starts a comment), for
  the runner's fast subsets.

And, only when asked (the runner's -rgw-compat), a diagnostic that lets
tests go past what only Ceph RGW does, to exercise what they are about.
Results taken with it are not conformance results:

* ``--sesame-rgw-compat``: the clients see a role's ARN without its
  account (``arn:aws:iam:::role/NAME``, as RGW writes the ARNs of users
  without a tenant) in CreateRole's and GetRole's answers: test_sts.py
  asserts that form right after CreateRole. And the buckets that
  test_sts.py creates under fixed names (test1, test2), which the suite's
  cleanup leaves behind, are removed after each test: RGW, like AWS in
  us-east-1, answers 200 to the owner's CreateBucket of an existing bucket,
  where Sesame answers BucketAlreadyOwnedByYou.
"""

import re

import pytest
from botocore.exceptions import ClientError

_fallbacks = {"count": 0}


def pytest_addoption(parser):
    parser.addoption(
        "--sesame-only",
        action="store",
        default=None,
        metavar="FILE",
        help="run only the tests named in FILE (one per line)",
    )
    parser.addoption(
        "--sesame-rgw-compat",
        action="store_true",
        default=False,
        help="diagnostic: RGW-style role ARNs, fixed-name buckets removed",
    )


_ROLE_ARN = re.compile(r"^arn:aws:iam::[0-9]{12}:role/")


def _strip_role_account(parsed=None, **kwargs):
    role = (parsed or {}).get("Role")
    if isinstance(role, dict) and isinstance(role.get("Arn"), str):
        role["Arn"] = _ROLE_ARN.sub("arn:aws:iam:::role/", role["Arn"])


def _install_rgw_arns():
    import boto3.session

    original = boto3.session.Session.client

    def client(self, *args, **kwargs):
        c = original(self, *args, **kwargs)
        if c.meta.service_model.service_name == "iam":
            for op in ("CreateRole", "GetRole"):
                c.meta.events.register("after-call.iam." + op, _strip_role_account)
        return c

    boto3.session.Session.client = client


def _list_keys(client, bucket, batch_size):
    """What list_versions yields, from ListObjectsV2: batches of {'Key': k}."""
    kwargs = {"Bucket": bucket, "MaxKeys": batch_size}
    while True:
        listing = client.list_objects_v2(**kwargs)
        objs = listing.get("Contents", [])
        if objs:
            yield [{"Key": o["Key"]} for o in objs]
        if not listing.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = listing["NextContinuationToken"]


def pytest_configure(config):
    import s3tests.functional as functional

    original = functional.list_versions

    def list_versions(client, bucket, batch_size):
        try:
            first = True
            for batch in original(client, bucket, batch_size):
                first = False
                yield batch
        except ClientError as e:
            if not first or e.response.get("Error", {}).get("Code") != "NotImplemented":
                raise
            _fallbacks["count"] += 1
            yield from _list_keys(client, bucket, batch_size)

    functional.list_versions = list_versions

    if config.getoption("--sesame-rgw-compat"):
        _install_rgw_arns()


# The buckets test_sts.py creates under fixed names.
_FIXED_BUCKETS = ("test1", "test2")


@pytest.fixture(autouse=True)
def _sesame_fixed_buckets(request):
    yield
    if not request.config.getoption("--sesame-rgw-compat"):
        return
    import s3tests.functional as functional

    client = functional.get_client()
    for name in _FIXED_BUCKETS:
        try:
            functional.nuke_bucket(client, name)
        except ClientError:
            pass


def _wanted(path):
    names = set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def pytest_collection_modifyitems(session, config, items):
    path = config.getoption("--sesame-only")
    if not path:
        return
    wanted = _wanted(path)
    keep, drop = [], []
    found = set()
    for item in items:
        file_name = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        full = file_name + "::" + item.name
        if full in wanted or item.name in wanted:
            keep.append(item)
            found.update((full, item.name))
        else:
            drop.append(item)
    missing = sorted(n for n in wanted if n not in found)
    if missing:
        raise pytest.UsageError(
            "--sesame-only: not collected: %s" % ", ".join(missing[:20])
        )
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = _fallbacks["count"]
    if n:
        terminalreporter.write_line(
            "sesame_compat: ListObjectVersions answered NotImplemented; "
            "bucket cleanup fell back to ListObjectsV2 %d times" % n
        )
