"""Sesame refuses what it cannot do, as boto3 sees it.

A client must never believe its data is encrypted, locked or protected
when it is not: each request below asks for a feature Sesame lacks and must
fail with S3's error code, leaving nothing written (docs/S3.md, "Headers
Sesame refuses"). Run by test/e2e/honest_boto3_test.go against an
in-process server; by hand:

    SESAME_ENDPOINT=http://127.0.0.1:9000 SESAME_ACCESS_KEY=... \\
    SESAME_SECRET_KEY=... python3 test/boto3/test_honest.py
"""

import io
import os
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

SSEC_KEY = b"\x42" * 32


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["SESAME_ENDPOINT"],
        aws_access_key_id=os.environ["SESAME_ACCESS_KEY"],
        aws_secret_access_key=os.environ["SESAME_SECRET_KEY"],
        region_name=os.environ.get("SESAME_REGION", "us-east-1"),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


class HonestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = client()
        cls.bucket = "boto3-" + uuid.uuid4().hex[:12]
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.old = b"old content"
        cls.s3.put_object(Bucket=cls.bucket, Key="existing", Body=cls.old)
        cls.etag = cls.s3.head_object(Bucket=cls.bucket, Key="existing")["ETag"]

    @classmethod
    def tearDownClass(cls):
        s3 = cls.s3
        for u in s3.list_multipart_uploads(Bucket=cls.bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=cls.bucket, Key=u["Key"], UploadId=u["UploadId"])
        for o in s3.list_objects_v2(Bucket=cls.bucket).get("Contents", []):
            s3.delete_object(Bucket=cls.bucket, Key=o["Key"])
        s3.delete_bucket(Bucket=cls.bucket)

    def assertRefused(self, call, code, status, **kwargs):
        with self.assertRaises(ClientError) as cm:
            call(**kwargs)
        err = cm.exception.response
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        self.assertEqual(err["Error"]["Code"], code, err)

    def assertAbsent(self, key):
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def assertOld(self, key="existing"):
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        self.assertEqual(body, self.old)

    def put(self, code, status, **extra):
        """PutObject with extra arguments must fail on a new and an existing key."""
        self.assertRefused(self.s3.put_object, code, status, Bucket=self.bucket, Key="new", Body=b"data", **extra)
        self.assertAbsent("new")
        self.assertRefused(self.s3.put_object, code, status, Bucket=self.bucket, Key="existing", Body=b"new", **extra)
        self.assertOld()

    def test_sse_c(self):
        # Over plain http the key crossed the network in clear: refused, as S3 does.
        self.put("InvalidRequest", 400, SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)

    def test_sse_kms(self):
        # SSE-S3 and SSE-KMS with the keyring's keys are implemented
        # (docs/ENCRYPTION.md): an unknown key id and DSSE-KMS are not.
        self.put("KMS.NotFoundException", 400, ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/k")
        self.put("NotImplemented", 501, ServerSideEncryption="aws:kms:dsse")

    def test_sse_c_on_read_of_plain_object(self):
        self.assertRefused(self.s3.get_object, "InvalidRequest", 400, Bucket=self.bucket, Key="existing",
                           SSECustomerAlgorithm="AES256", SSECustomerKey=SSEC_KEY)

    def test_conditional_writes(self):
        members = self.s3.meta.service_model.operation_model("PutObject").input_shape.members
        if "IfNoneMatch" not in members:
            self.skipTest("this botocore predates conditional writes (IfNoneMatch)")
        self.assertRefused(self.s3.put_object, "PreconditionFailed", 412,
                           Bucket=self.bucket, Key="existing", Body=b"new", IfNoneMatch="*")
        self.assertOld()
        self.assertRefused(self.s3.put_object, "PreconditionFailed", 412,
                           Bucket=self.bucket, Key="existing", Body=b"new", IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertOld()
        # Conditions that hold are carried out, atomically with the write.
        self.s3.put_object(Bucket=self.bucket, Key="cond", Body=self.old)
        etag = self.s3.head_object(Bucket=self.bucket, Key="cond")["ETag"]
        self.s3.put_object(Bucket=self.bucket, Key="cond", Body=b"new", IfMatch=etag)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="cond")["Body"].read(), b"new")
        self.s3.put_object(Bucket=self.bucket, Key="cond-new", Body=b"new", IfNoneMatch="*")
        self.assertRefused(self.s3.put_object, "PreconditionFailed", 412,
                           Bucket=self.bucket, Key="cond-new", Body=b"newer", IfNoneMatch="*")

    def test_acl(self):
        self.put("AccessControlListNotSupported", 400, ACL="public-read")
        self.put("AccessControlListNotSupported", 400, GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
        for acl in ("private", "bucket-owner-full-control"):
            self.s3.put_object(Bucket=self.bucket, Key="acl-" + acl, Body=b"x", ACL=acl)

    def test_tagging_lock_redirect_storage_class(self):
        self.put("InvalidTag", 400, Tagging="aws:team=a")
        # The bucket was not created with Object Lock.
        self.put("InvalidRequest", 400, ObjectLockLegalHoldStatus="ON")
        self.put("NotImplemented", 501, WebsiteRedirectLocation="/elsewhere")
        self.put("InvalidStorageClass", 400, StorageClass="GLACIER")
        self.put("InvalidStorageClass", 400, StorageClass="DEEP_ARCHIVE")
        self.s3.put_object(Bucket=self.bucket, Key="standard", Body=b"x", StorageClass="STANDARD")

    def test_create_bucket_object_lock(self):
        name = "boto3-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        try:
            self.assertEqual(self.s3.get_bucket_versioning(Bucket=name)["Status"], "Enabled")
            conf = self.s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
            self.assertEqual(conf["ObjectLockEnabled"], "Enabled")
        finally:
            self.s3.delete_bucket(Bucket=name)

    def test_upload_part_copy_range_past_end(self):
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=b"0123456789")
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mpu")["UploadId"]
        self.assertRefused(self.s3.upload_part_copy, "InvalidRange", 416, Bucket=self.bucket, Key="mpu",
                           UploadId=upload, PartNumber=1, CopySource={"Bucket": self.bucket, "Key": "src"},
                           CopySourceRange="bytes=0-21")
        parts = self.s3.list_parts(Bucket=self.bucket, Key="mpu", UploadId=upload).get("Parts", [])
        self.assertEqual(parts, [])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key="mpu", UploadId=upload)

    def test_plain_uploads_still_work(self):
        data = os.urandom(9 << 20)  # multipart with the transfer manager's 8 MiB parts
        self.s3.upload_fileobj(io.BytesIO(data), self.bucket, "big")
        self.s3.upload_fileobj(io.BytesIO(b"small"), self.bucket, "small",
                               ExtraArgs={"ACL": "bucket-owner-full-control"})
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="big")["Body"].read(), data)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="small")["Body"].read(), b"small")


if __name__ == "__main__":
    unittest.main(verbosity=2)
