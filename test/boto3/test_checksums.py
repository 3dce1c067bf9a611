"""Additional checksums, GetObjectAttributes and partNumber as boto3 uses them.

boto3 (1.36 and later) sends a CRC32 with every upload by default and asks
for checksums on every GetObject. Run by test/e2e/checksums_boto3_test.go
against an in-process server; by hand:

    SESAME_ENDPOINT=http://127.0.0.1:9000 SESAME_ACCESS_KEY=... \\
    SESAME_SECRET_KEY=... python3 test/boto3/test_checksums.py
"""

import base64
import hashlib
import io
import os
import unittest
import uuid
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MIB = 1024 * 1024


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


def crc32(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class ChecksumTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = client()
        cls.bucket = "boto3-ck-" + uuid.uuid4().hex[:12]
        cls.s3.create_bucket(Bucket=cls.bucket)

    @classmethod
    def tearDownClass(cls):
        s3 = cls.s3
        for u in s3.list_multipart_uploads(Bucket=cls.bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=cls.bucket, Key=u["Key"], UploadId=u["UploadId"])
        for o in s3.list_objects_v2(Bucket=cls.bucket).get("Contents", []):
            s3.delete_object(Bucket=cls.bucket, Key=o["Key"])
        s3.delete_bucket(Bucket=cls.bucket)

    def test_default_crc32(self):
        data = os.urandom(70000)
        self.s3.put_object(Bucket=self.bucket, Key="default", Body=io.BytesIO(data))
        head = self.s3.head_object(Bucket=self.bucket, Key="default", ChecksumMode="ENABLED")
        self.assertEqual(head.get("ChecksumCRC32"), crc32(data))
        self.assertEqual(head.get("ChecksumType"), "FULL_OBJECT")
        self.assertNotIn("ChecksumCRC32", self.s3.head_object(Bucket=self.bucket, Key="default"))
        body = self.s3.get_object(Bucket=self.bucket, Key="default")["Body"].read()
        self.assertEqual(body, data)

    def test_sha256_and_mismatch(self):
        data = b"A" * 1024
        out = self.s3.put_object(Bucket=self.bucket, Key="sha", Body=data, ChecksumAlgorithm="SHA256")
        self.assertEqual(out["ChecksumSHA256"], sha256(data))
        with self.assertRaises(ClientError) as cm:
            self.s3.put_object(Bucket=self.bucket, Key="bad", Body=data, ChecksumSHA256=sha256(b"other"))
        self.assertEqual(cm.exception.response["Error"]["Code"], "BadDigest")
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket=self.bucket, Key="bad")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_transfer_parts_and_attributes(self):
        data = os.urandom(11 * MIB)
        cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        self.s3.upload_fileobj(io.BytesIO(data), self.bucket, "big", Config=cfg)
        attrs = self.s3.get_object_attributes(
            Bucket=self.bucket, Key="big", ObjectAttributes=["ETag", "ObjectParts", "ObjectSize", "StorageClass"]
        )
        self.assertEqual(attrs["ObjectSize"], len(data))
        self.assertEqual(attrs["ObjectParts"]["TotalPartsCount"], 3)
        self.assertEqual(attrs["StorageClass"], "STANDARD")
        part = self.s3.get_object(Bucket=self.bucket, Key="big", PartNumber=2)
        self.assertEqual(part["PartsCount"], 3)
        self.assertEqual(part["Body"].read(), data[5 * MIB : 10 * MIB])
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="big", PartNumber=4)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidPart")
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "big", out)
        self.assertEqual(out.getvalue(), data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
