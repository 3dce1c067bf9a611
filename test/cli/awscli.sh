#!/usr/bin/env bash
# End-to-end test with the real aws cli: the quickstart a user follows.
# Usage: SESAME_BIN=/path/to/sesame bash test/cli/awscli.sh
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail

: "${SESAME_BIN:?set SESAME_BIN to the sesame binary}"
work=$(mktemp -d)
data="$work/data"
log="$work/server.log"
passed=0
failed=0

cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

MINIO_ROOT_USER=admin MINIO_ROOT_PASSWORD=adminsecret "$SESAME_BIN" server --address 127.0.0.1:0 "$data" 2>"$log" &
pid=$!
for _ in $(seq 1 100); do
  addr=$(grep 'is serving' "$log" | grep -o 'address=[^ ]*' | head -1 | cut -d= -f2)
  [ -n "$addr" ] && break
  sleep 0.1
done
if [ -z "${addr:-}" ]; then
  echo "server did not start:"; cat "$log"; exit 1
fi
endpoint="http://$addr"

export AWS_ACCESS_KEY_ID=admin AWS_SECRET_ACCESS_KEY=adminsecret AWS_DEFAULT_REGION=us-east-1
# aws cli v1 presigns with SigV2 unless told otherwise; Sesame speaks SigV4 only.
printf '[default]\ns3 =\n  signature_version = s3v4\n' >"$work/config"
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
s3() { aws --endpoint-url "$endpoint" s3 "$@"; }
s3api() { aws --endpoint-url "$endpoint" s3api "$@"; }

# check NAME COMMAND...: the command must succeed.
check() {
  local name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; echo "$out" | sed 's/^/     /' | head -20
  fi
}
# expect_error NAME CODE COMMAND...: the command must fail with the S3 error CODE.
expect_error() {
  local name=$1 code=$2; shift 2
  if out=$("$@" 2>&1); then
    failed=$((failed + 1)); echo "FAIL $name: succeeded, want $code"
  elif grep -q "$code" <<<"$out"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name: want $code"; echo "$out" | sed 's/^/     /' | head -20
  fi
}
# same NAME FILE1 FILE2: the files must be identical.
same() {
  if cmp -s "$2" "$3"; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: $2 and $3 differ"; fi
}

src="$work/src"
mkdir -p "$src/docs/deep"
echo "hello sesame" >"$src/hello.txt"
echo "nested" >"$src/docs/deep/note with space.txt"
head -c 20000000 /dev/urandom >"$src/docs/big.bin" # 20 MB: the cli uploads it in parts

check "mb" s3 mb s3://quickstart
expect_error "mb again" BucketAlreadyOwnedByYou s3 mb s3://quickstart
expect_error "mb invalid name" InvalidBucketName s3api create-bucket --bucket Bad_Name
check "cp file" s3 cp "$src/hello.txt" s3://quickstart/hello.txt
check "cp --recursive (multipart file included)" s3 cp --recursive "$src" s3://quickstart/folder/
check "ls" bash -c "aws --endpoint-url $endpoint s3 ls s3://quickstart/folder/docs/ | grep -q big.bin"
check "ls --recursive counts 3" bash -c "[ \$(aws --endpoint-url $endpoint s3 ls --recursive s3://quickstart/folder/ | wc -l) -eq 3 ]"
check "cp down --recursive" s3 cp --recursive s3://quickstart/folder/ "$work/down"
same "big file round trip" "$src/docs/big.bin" "$work/down/docs/big.bin"
same "key with space round trip" "$src/docs/deep/note with space.txt" "$work/down/docs/deep/note with space.txt"
check "multipart ETag has a part count" bash -c "aws --endpoint-url $endpoint s3api head-object --bucket quickstart --key folder/docs/big.bin --query ETag --output text | grep -q -- '-[0-9]'"
check "sync is idempotent" bash -c "[ -z \"\$(aws --endpoint-url $endpoint s3 sync $src s3://quickstart/folder/ --size-only)\" ]"
check "get-object --range" bash -c "aws --endpoint-url $endpoint s3api get-object --bucket quickstart --key hello.txt --range bytes=0-4 $work/range.out >/dev/null && [ \"\$(cat $work/range.out)\" = hello ]"
check "put-object with metadata" s3api put-object --bucket quickstart --key meta.txt --body "$src/hello.txt" --content-type text/plain --metadata color=blue
check "head-object shows metadata" bash -c "aws --endpoint-url $endpoint s3api head-object --bucket quickstart --key meta.txt --query Metadata.color --output text | grep -qx blue"
check "copy-object" s3api copy-object --bucket quickstart --key copy.txt --copy-source quickstart/meta.txt
expect_error "head missing key" "404" s3api head-object --bucket quickstart --key nope
expect_error "get missing key" NoSuchKey s3api get-object --bucket quickstart --key nope "$work/nope"
expect_error "missing bucket" NoSuchBucket s3 ls s3://nobucket
url=$(aws --endpoint-url "$endpoint" s3 presign s3://quickstart/hello.txt --expires-in 300)
check "presigned GET with curl" bash -c "curl -sf '$url' | grep -q 'hello sesame'"
check "tampered presigned URL refused" bash -c "curl -s '${url/hello.txt/hello.TXT}' | grep -q SignatureDoesNotMatch"
v2url=$(AWS_CONFIG_FILE=/dev/null aws --endpoint-url "$endpoint" s3 presign s3://quickstart/hello.txt --expires-in 300)
check "SigV2 presigned URL refused with a clear error" bash -c "curl -s '$v2url' | grep -q 'Signature Version 4'"
check "anonymous GET refused" bash -c "curl -s $endpoint/quickstart/hello.txt | grep -q AccessDenied"
expect_error "wrong secret" SignatureDoesNotMatch env AWS_SECRET_ACCESS_KEY=wrongsecret aws --endpoint-url "$endpoint" s3 ls
expect_error "rb non-empty" BucketNotEmpty s3api delete-bucket --bucket quickstart
check "rm --recursive" s3 rm --recursive s3://quickstart/
check "rb" s3 rb s3://quickstart
check "bucket gone" bash -c "! aws --endpoint-url $endpoint s3 ls | grep -q quickstart"

# IAM: root creates a user and a policy; the policy is enforced on S3.
iam() { aws --endpoint-url "$endpoint" iam "$@"; }
check "mb photos" s3 mb s3://photos
check "iam create-user" iam create-user --user-name alice
expect_error "iam create-user again" EntityAlreadyExists iam create-user --user-name alice
keys=$(iam create-access-key --user-name alice --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
alice_key=$(cut -f1 <<<"$keys"); alice_secret=$(cut -f2 <<<"$keys")
check "access key has 20 characters" test "${#alice_key}" -eq 20
policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::photos/${aws:username}/*"}]}'
check "iam create-policy" iam create-policy --policy-name photos-own --policy-document "$policy"
expect_error "iam create-policy malformed" MalformedPolicyDocument iam create-policy --policy-name bad --policy-document '{"Version":"2012-10-17","Statement":[{"Efect":"Allow"}]}'
check "iam attach-user-policy" iam attach-user-policy --user-name alice --policy-arn arn:aws:iam::000000000000:policy/photos-own
as_alice() { AWS_ACCESS_KEY_ID=$alice_key AWS_SECRET_ACCESS_KEY=$alice_secret aws --endpoint-url "$endpoint" "$@"; }
check "alice puts under photos/alice/" as_alice s3 cp "$src/hello.txt" s3://photos/alice/hello.txt
expect_error "alice denied under photos/other/" AccessDenied as_alice s3 cp "$src/hello.txt" s3://photos/other/hello.txt
expect_error "alice denied ListBuckets" AccessDenied as_alice s3 ls
expect_error "alice denied the IAM API" AccessDenied as_alice iam create-user --user-name mallory
check "iam update-access-key Inactive" iam update-access-key --user-name alice --access-key-id "$alice_key" --status Inactive
expect_error "inactive key refused" InvalidAccessKeyId as_alice s3api get-object --bucket photos --key alice/hello.txt "$work/x"
check "iam update-access-key Active" iam update-access-key --user-name alice --access-key-id "$alice_key" --status Active
check "alice reads again" as_alice s3 cp s3://photos/alice/hello.txt "$work/alice.txt"
expect_error "delete user with keys" DeleteConflict iam delete-user --user-name alice
check "iam detach-user-policy" iam detach-user-policy --user-name alice --policy-arn arn:aws:iam::000000000000:policy/photos-own
expect_error "alice denied after detach" AccessDenied as_alice s3api get-object --bucket photos --key alice/hello.txt "$work/x"
check "public-read bucket policy" s3api put-bucket-policy --bucket photos --policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}'
check "anonymous GET through the bucket policy" bash -c "curl -sf $endpoint/photos/alice/hello.txt | grep -q 'hello sesame'"

# STS AssumeRole, as MinIO's documentation has users type it: a profile
# "foobar" with a user's own keys, a session policy, any role ARN and name.
check "iam create-user foobar" iam create-user --user-name foobar
fkeys=$(iam create-access-key --user-name foobar --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
check "attach readwrite to foobar" iam attach-user-policy --user-name foobar --policy-arn arn:aws:iam::aws:policy/readwrite
printf '[foobar]\nregion = us-east-1\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$(cut -f1 <<<"$fkeys")" "$(cut -f2 <<<"$fkeys")" >"$work/credentials"
seed_policy='{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}'
check "seed: sts assume-role --profile foobar" env AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
  aws --profile foobar --endpoint-url "$endpoint" sts assume-role --policy "$seed_policy" --role-arn arn:xxx:xxx:xxx:xxxx --role-session-name anything
folder_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::photos/upload/*"}]}'
tmp=$(AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws --profile foobar --endpoint-url "$endpoint" \
  sts assume-role --policy "$folder_policy" --role-arn arn:xxx:xxx:xxx:xxxx --role-session-name folder \
  --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
as_temp() {
  AWS_ACCESS_KEY_ID=$(cut -f1 <<<"$tmp") AWS_SECRET_ACCESS_KEY=$(cut -f2 <<<"$tmp") AWS_SESSION_TOKEN=$(cut -f3 <<<"$tmp") \
    aws --endpoint-url "$endpoint" "$@"
}
session_arn_ok() { as_temp sts get-caller-identity --query Arn --output text | grep -q 'assumed-role/foobar/folder'; }
check "temporary credentials: sts get-caller-identity" session_arn_ok
check "temporary credentials: cp --recursive into the allowed prefix (multipart included)" as_temp s3 cp --recursive "$src" s3://photos/upload/
same "multipart upload with temporary credentials" "$src/docs/big.bin" <(as_temp s3 cp s3://photos/upload/docs/big.bin -)
expect_error "temporary credentials denied outside the prefix" AccessDenied as_temp s3 cp "$src/hello.txt" s3://photos/elsewhere.txt
expect_error "assume-role with a 2049-character policy" PackedPolicyTooLarge env AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
  aws --profile foobar --endpoint-url "$endpoint" sts assume-role --policy "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"$(head -c 1990 /dev/zero | tr '\0' a)\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}" --role-arn arn:xxx:xxx:xxx:xxxx --role-session-name anything
expect_error "assume-role with DurationSeconds over 7 days" ValidationError env AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
  aws --profile foobar --endpoint-url "$endpoint" sts assume-role --duration-seconds 604801 --role-arn arn:xxx:xxx:xxx:xxxx --role-session-name anything

echo
echo "awscli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
