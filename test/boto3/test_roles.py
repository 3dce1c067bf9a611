"""IAM roles as boto3 users meet them: create a role, assume it with tags
and an external id, use and drop the credentials, and the refusals.

Run by test/e2e/roles_boto3_test.go against an in-process server; by hand:

    SESAME_ENDPOINT=http://127.0.0.1:9000 SESAME_ACCESS_KEY=... \\
    SESAME_SECRET_KEY=... python3 test/boto3/test_roles.py
"""

import json
import os
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"})


def client(service, key=None, secret=None, token=None):
    return boto3.client(
        service,
        endpoint_url=os.environ["SESAME_ENDPOINT"],
        aws_access_key_id=key or os.environ["SESAME_ACCESS_KEY"],
        aws_secret_access_key=secret or os.environ["SESAME_SECRET_KEY"],
        aws_session_token=token,
        region_name=os.environ.get("SESAME_REGION", "us-east-1"),
        config=CONFIG,
    )


class RolesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.iam = client("iam")
        cls.s3 = client("s3")
        suffix = uuid.uuid4().hex[:8]
        cls.bucket = "roles-" + suffix
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key="doc", Body=b"doc")
        cls.user = "ci-" + suffix
        cls.iam.create_user(UserName=cls.user)
        key = cls.iam.create_access_key(UserName=cls.user)["AccessKey"]
        cls.user_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:user/" + cls.user},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}}}]}
        cls.role = "reader-" + suffix
        cls.role_arn = cls.iam.create_role(RoleName=cls.role, AssumeRolePolicyDocument=json.dumps(trust),
                                           MaxSessionDuration=7200)["Role"]["Arn"]
        cls.iam.put_role_policy(RoleName=cls.role, PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::%s/*" % cls.bucket}]}))

    def assume(self, **kwargs):
        args = {"RoleArn": self.role_arn, "RoleSessionName": "boto3", "ExternalId": "ext-1"}
        args.update(kwargs)
        return self.user_sts.assume_role(**args)

    def test_role_arn(self):
        self.assertEqual(self.role_arn, "arn:aws:iam::000000000000:role/" + self.role)
        got = self.iam.get_role(RoleName=self.role)["Role"]
        self.assertEqual(got["MaxSessionDuration"], 7200)
        self.assertEqual(got["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
                         "arn:aws:iam::000000000000:user/" + self.user)

    def test_assume_and_use(self):
        resp = self.assume(Tags=[{"Key": "team", "Value": "blue"}], DurationSeconds=7200)
        self.assertEqual(resp["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::000000000000:assumed-role/%s/boto3" % self.role)
        self.assertGreater(resp["PackedPolicySize"], 0)
        c = resp["Credentials"]
        s3 = client("s3", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="doc")["Body"].read(), b"doc")
        with self.assertRaises(ClientError) as cm:
            s3.put_object(Bucket=self.bucket, Key="x", Body=b"x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        who = client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
        self.assertEqual(who["Arn"], resp["AssumedRoleUser"]["Arn"])

    def test_refusals(self):
        cases = [
            ({"ExternalId": "wrong"}, "AccessDenied"),
            ({"DurationSeconds": 7201}, "ValidationError"),
            ({"Policy": '{"Version":"2012-10-17","Statement":[]}'}, "MalformedPolicyDocument"),
        ]
        for kwargs, code in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(ClientError) as cm:
                    self.assume(**kwargs)
                self.assertEqual(cm.exception.response["Error"]["Code"], code)

    def test_delete_role_with_policy(self):
        with self.assertRaises(ClientError) as cm:
            self.iam.delete_role(RoleName=self.role)
        self.assertEqual(cm.exception.response["Error"]["Code"], "DeleteConflict")


if __name__ == "__main__":
    unittest.main(verbosity=2)
