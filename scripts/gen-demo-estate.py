#!/usr/bin/env python3
"""Writes fixtures/demo/estate.jsonl: the demo estate embedded in annexa (`annexa scan --demo`).

One AWS account (123456789012; us-east-1 and eu-west-1) and one Azure subscription of a fictional
company, "Northwind". Every resource is shaped as docs/resource-types.md says a collector leaves
it: AWS items keep AWS Config's `configuration` / `supplementaryConfiguration` shapes (taken from
the recorded items in shared/reference/aws-config) after the collector decoded JSON-in-a-string
values and URL-encoded IAM documents; Azure rows keep the ARM shapes of Microsoft's examples
(shared/reference/azure-rest-api-specs-examples) with lower-cased ids and types. Quirks that
survive collection are kept on purpose: S3's null-filled "no value" objects and the bare
"AllUsers" ACL grantee, legacy `ipRanges` beside `ipv4Ranges`, missing ports on protocol -1, RDS's
`dBInstanceIdentifier` casing, KMS epoch-millisecond dates, Defender's "True"/"False" strings.

Good and bad on purpose (what the built-in checks should find), by resource:
  S3: nw-prod-app-assets good; nw-public-website public policy + AllUsers ACL, no PAB, no SSE;
      nw-data-exports no PAB, versioning suspended; nw-legacy-backups no SSE, no PAB, no logging.
  S3 account PAB: only the ACL half on.
  IAM: bob.dev no MFA + key 400+ days old + inline policy; ci-deploy inline *:* admin policy;
      dave.contractor console without MFA, unused; root has MFA but an active access key;
      nw-full-access-legacy managed policy allows *:*; password policy weak.
  EC2: sg bastion-ssh 22 from 0.0.0.0/0; sg win-rdp 3389 from 0.0.0.0/0 and ::/0; sg legacy-open
      all traffic; web-alb and db fine; one unencrypted volume; bastion with IMDSv1.
  RDS: nw-reporting-db public, no backups, unencrypted. CloudTrail: single-region, no log file
      validation, no KMS. KMS: one key without rotation. Config: recorder stopped in eu-west-1.
      VPC flow logs: only in us-east-1.
  Azure: stnwlegacy allows HTTP and TLS1_0 and public blobs; nsg-nw-web opens 3389 to Internet;
      kv-nw-legacy without purge protection; sql-nw-orders public network access, auditing off;
      vm-nw-jump01's disk with platform keys only and no encryption at host; app-nw-legacy allows
      FTP and HTTP; Defender Free for SQL and storage; a custom role with "*"; activity log
      alerts only for policy assignments and NSG writes; subscription diagnostic setting without
      the Security category.

Run: python3 scripts/gen-demo-estate.py > fixtures/demo/estate.jsonl
Deterministic: no clock, no randomness; rerun after editing and commit the output.
"""

import json
import pathlib
import sys

ACCOUNT = "123456789012"
SUB = "6f1c2b7e-8d4a-4c3e-9b5f-2a7d1e0c9f34"
TENANT = "b3e1f8a2-5c47-4d9e-8a16-7f0c2d9e4b51"
COLLECTED_AT = "2026-11-20T09:00:00Z"
S3_OWNER = {"displayName": None, "id": "5b9e07c4d3a1f2e8b6c0d9a7e4f1b3c2a8d6e0f9b7c5a3e1d2f4b6c8a0e9d7f1"}

out = []


def aws(rtype, region, rid, name, configuration, supplementary=None, tags=None):
    out.append({
        "provider": "aws",
        "account": ACCOUNT,
        "region": region,
        "resource_type": rtype,
        "id": rid,
        "name": name,
        "tags": tags or {},
        "config": {"configuration": configuration, "supplementaryConfiguration": supplementary or {}},
    })


def az_id(rtype, rg, name):
    if rg is None:
        return f"/subscriptions/{SUB}/providers/{rtype}/{name}".lower()
    return f"/subscriptions/{SUB}/resourcegroups/{rg}/providers/{rtype}/{name}".lower()


def azure(rtype, rid, name, location, properties, sku=None, kind=None, identity=None, tags=None, **extra):
    config = {"properties": properties, "sku": sku, "kind": kind, "identity": identity}
    config.update(extra)
    out.append({
        "provider": "azure",
        "account": SUB,
        "region": location,
        "resource_type": rtype.lower(),
        "id": rid.lower(),
        "name": name,
        "tags": tags or {},
        "config": config,
    })


def kv_tags(tags):
    """EC2/IAM `configuration.tags`: a list of lower-case {key, value}."""
    return [{"key": k, "value": v} for k, v in tags.items()]


# ---------------------------------------------------------------- AWS: S3
def bucket(name, region, created, tags=None, pab=None, sse=None, versioning="Off", logging=None,
           policy=None, acl_extra=(), website=None, lifecycle=None):
    acl = {
        "grantSet": None,
        "grantList": [{"grantee": {"id": S3_OWNER["id"], "displayName": None}, "permission": "FullControl"}]
        + list(acl_extra),
        "owner": S3_OWNER,
        "isRequesterCharged": False,
    }
    supp = {
        "AccessControlList": acl,
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {
            "destinationBucketName": logging[0] if logging else None,
            "logFilePrefix": logging[1] if logging else None,
        },
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketPolicy": {"policyText": policy},
        "BucketVersioningConfiguration": {"status": versioning, "isMfaDeleteEnabled": None if versioning == "Off" else False},
        "IsRequesterPaysEnabled": False,
    }
    if tags:
        supp["BucketTaggingConfiguration"] = {"tagSets": [{"tags": tags}]}
    if pab is not None:
        supp["PublicAccessBlockConfiguration"] = {
            "blockPublicAcls": pab, "ignorePublicAcls": pab, "blockPublicPolicy": pab, "restrictPublicBuckets": pab}
    if sse is not None:
        supp["ServerSideEncryptionConfiguration"] = {"rules": [{
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": sse,
                "kmsMasterKeyID": f"arn:aws:kms:{region}:{ACCOUNT}:key/0f6c2d1e-3b4a-4e5f-9a8b-7c6d5e4f3a21" if sse == "aws:kms" else None,
            },
            "bucketKeyEnabled": sse == "aws:kms",
        }]}
    if website:
        supp["BucketWebsiteConfiguration"] = website
    if lifecycle:
        supp["BucketLifecycleConfiguration"] = lifecycle
    aws("AWS::S3::Bucket", region, f"arn:aws:s3:::{name}", name,
        {"name": name, "owner": S3_OWNER, "creationDate": created}, supp, tags)


def deny_insecure(name):
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


PROD_TAGS = {"environment": "production", "owner": "platform-team", "cost-center": "cc-4120"}

bucket("nw-prod-app-assets", "us-east-1", "2023-03-14T09:21:44.000Z", PROD_TAGS, pab=True, sse="aws:kms",
       versioning="Enabled", logging=("nw-access-logs", "app-assets/"),
       policy={"Version": "2012-10-17", "Statement": [deny_insecure("nw-prod-app-assets"), {
           "Sid": "AllowAppRole", "Effect": "Allow",
           "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/nw-ec2-app-role"},
           "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::nw-prod-app-assets/*"}]},
       lifecycle={"rules": [{"id": "expire-old-versions", "expirationInDays": -1, "noncurrentVersionExpirationInDays": 90,
                             "status": "Enabled", "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": ""}}}]})
bucket("nw-access-logs", "us-east-1", "2023-03-14T09:18:02.000Z", {"environment": "production", "owner": "security"},
       pab=True, sse="AES256", versioning="Enabled",
       acl_extra=[{"grantee": "LogDelivery", "permission": "Write"}, {"grantee": "LogDelivery", "permission": "ReadAcp"}])
bucket("nw-cloudtrail-logs", "us-east-1", "2023-03-14T09:15:37.000Z", {"environment": "production", "owner": "security"},
       pab=True, sse="aws:kms", versioning="Enabled", logging=("nw-access-logs", "cloudtrail/"),
       policy={"Version": "2012-10-17", "Statement": [
           {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::nw-cloudtrail-logs"},
           {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::nw-cloudtrail-logs/AWSLogs/{ACCOUNT}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
           deny_insecure("nw-cloudtrail-logs")]})
bucket("nw-public-website", "us-east-1", "2021-07-02T16:40:11.000Z", {"environment": "production", "owner": "marketing"},
       pab=None, sse=None, versioning="Off",
       policy={"Version": "2012-10-17", "Statement": [{
           "Sid": "PublicReadGetObject", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::nw-public-website/*"}]},
       acl_extra=[{"grantee": "AllUsers", "permission": "Read"}],
       website={"indexDocumentSuffix": "index.html", "errorDocument": "error.html", "redirectAllRequestsTo": None, "routingRules": []})
bucket("nw-data-exports", "eu-west-1", "2024-05-21T11:02:56.000Z", {"environment": "production", "owner": "data-team"},
       pab=None, sse="AES256", versioning="Suspended", logging=("nw-access-logs", "data-exports/"))
bucket("nw-legacy-backups", "eu-west-1", "2019-11-08T08:12:30.000Z", {"owner": "ops"},
       pab=None, sse=None, versioning="Off")

aws("AWS::S3::AccountPublicAccessBlock", "us-east-1", ACCOUNT, ACCOUNT,
    {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": False, "restrictPublicBuckets": False})

# ---------------------------------------------------------------- AWS: IAM
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def stmt(effect, action, resource, **extra):
    s = {"Effect": effect, "Action": action, "Resource": resource}
    s.update(extra)
    return s


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def user(name, uid, created, groups=(), managed=(), inline=(), tags=None):
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    aws("AWS::IAM::User", "global", arn, name, {
        "path": "/", "userName": name, "userId": uid, "arn": arn, "createDate": created,
        "userPolicyList": [{"policyName": n, "policyDocument": d} for n, d in inline],
        "groupList": list(groups),
        "attachedManagedPolicies": [{"policyName": p.rsplit("/", 1)[1], "policyArn": p} for p in managed],
        "permissionsBoundary": None,
        "tags": kv_tags(tags or {}),
    }, {}, tags)


user("alice.admin", "AIDAR7KXQ2M4PLT3VWYZ5", "2023-03-14T08:55:12.000Z", groups=["Admins"],
     tags={"team": "platform"})
user("bob.dev", "AIDAR7KXQ2M4HN6BCDEF2", "2023-06-01T13:20:45.000Z", groups=["Developers"],
     inline=[("bob-scratch-access", doc(stmt("Allow", ["s3:*", "dynamodb:*"], "*")))], tags={"team": "orders"})
user("ci-deploy", "AIDAR7KXQ2M4QR8STUV3", "2022-02-10T10:05:09.000Z",
     inline=[("deploy-everything", doc(stmt("Allow", "*", "*", Sid="LegacyDeploy")))], tags={"purpose": "ci"})
user("carol.audit", "AIDAR7KXQ2M4JK9LMNO4", "2024-01-08T09:41:27.000Z",
     managed=["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/ReadOnlyAccess"], tags={"team": "security"})
user("dave.contractor", "AIDAR7KXQ2M4AB1CDEF6", "2025-02-17T15:33:50.000Z", groups=["Developers"],
     tags={"team": "orders", "contract-end": "2026-06-30"})

aws("AWS::IAM::Group", "global", f"arn:aws:iam::{ACCOUNT}:group/Admins", "Admins", {
    "path": "/", "groupName": "Admins", "groupId": "AGPAR7KXQ2M4XY3ZABC1", "arn": f"arn:aws:iam::{ACCOUNT}:group/Admins",
    "createDate": "2023-03-14T08:50:03.000Z", "groupPolicyList": [],
    "attachedManagedPolicies": [{"policyName": "AdministratorAccess", "policyArn": ADMIN_ARN}]})
aws("AWS::IAM::Group", "global", f"arn:aws:iam::{ACCOUNT}:group/Developers", "Developers", {
    "path": "/", "groupName": "Developers", "groupId": "AGPAR7KXQ2M4DE5FGHI2", "arn": f"arn:aws:iam::{ACCOUNT}:group/Developers",
    "createDate": "2023-05-30T12:00:41.000Z",
    "groupPolicyList": [{"policyName": "developers-deny-iam", "policyDocument": doc(
        stmt("Deny", ["iam:*", "organizations:*"], "*", Sid="NoIdentityChanges"))}],
    "attachedManagedPolicies": [
        {"policyName": "PowerUserAccess", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        {"policyName": "nw-s3-readonly-app", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/nw-s3-readonly-app"}]})


def role(name, rid, created, trust, managed=(), inline=(), profiles=(), last_used=None, tags=None):
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    aws("AWS::IAM::Role", "global", arn, name, {
        "path": "/", "roleName": name, "roleId": rid, "arn": arn, "createDate": created,
        "assumeRolePolicyDocument": trust,
        "instanceProfileList": [{
            "path": "/", "instanceProfileName": p, "instanceProfileId": "AIPAR7KXQ2M4IP0QRST7",
            "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{p}", "createDate": created,
            "roles": [{"path": "/", "roleName": name, "roleId": rid, "arn": arn, "createDate": created,
                       "assumeRolePolicyDocument": trust, "description": None, "maxSessionDuration": None,
                       "permissionsBoundary": None, "tags": [], "roleLastUsed": None}]} for p in profiles],
        "rolePolicyList": [{"policyName": n, "policyDocument": d} for n, d in inline],
        "attachedManagedPolicies": [{"policyName": p.rsplit("/", 1)[1], "policyArn": p} for p in managed],
        "permissionsBoundary": None,
        "tags": kv_tags(tags or {}),
        "roleLastUsed": last_used,
    }, {}, tags)


def trust(principal):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


role("nw-ec2-app-role", "AROAR7KXQ2M4EC2APP01", "2023-03-14T09:30:18.000Z", trust({"Service": "ec2.amazonaws.com"}),
     managed=[f"arn:aws:iam::{ACCOUNT}:policy/nw-s3-readonly-app",
              "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
     profiles=["nw-ec2-app-role"], last_used={"lastUsedDate": "2026-11-19T22:14:05.000Z", "region": "us-east-1"},
     tags={"environment": "production"})
role("OrganizationAccountAccessRole", "AROAR7KXQ2M4ORGACC02", "2022-01-05T07:12:44.000Z",
     trust({"AWS": "arn:aws:iam::210987654321:root"}), managed=[ADMIN_ARN],
     last_used={"lastUsedDate": "2026-09-02T14:51:37.000Z", "region": "us-east-1"})
role("nw-support-vendor", "AROAR7KXQ2M4VENDOR03", "2024-08-19T10:26:03.000Z",
     trust({"AWS": "arn:aws:iam::444455556666:root"}),
     managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
     inline=[("vendor-ticket-access", doc(stmt("Allow", ["support:*"], "*")))], last_used=None,
     tags={"vendor": "acme-support"})


def managed_policy(name, pid, created, document, attachments, description=None):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    aws("AWS::IAM::Policy", "global", arn, name, {
        "policyName": name, "policyId": pid, "arn": arn, "path": "/", "defaultVersionId": "v2",
        "attachmentCount": attachments, "permissionsBoundaryUsageCount": 0, "isAttachable": True,
        "description": description, "createDate": created, "updateDate": "2025-04-02T10:11:12.000Z",
        "policyVersionList": [
            {"document": document, "versionId": "v2", "isDefaultVersion": True, "createDate": "2025-04-02T10:11:12.000Z"},
            {"document": doc(stmt("Allow", "s3:GetObject", "*")), "versionId": "v1", "isDefaultVersion": False,
             "createDate": created},
        ]})


managed_policy("nw-s3-readonly-app", "ANPAR7KXQ2M4S3RO0001", "2023-03-14T09:28:40.000Z", doc(
    stmt("Allow", ["s3:GetObject", "s3:ListBucket"],
         ["arn:aws:s3:::nw-prod-app-assets", "arn:aws:s3:::nw-prod-app-assets/*"], Sid="ReadAppAssets")), 2,
    "Read access to the application asset bucket")
managed_policy("nw-full-access-legacy", "ANPAR7KXQ2M4LEGACY02", "2020-10-01T12:00:00.000Z", doc(
    stmt("Allow", "*", "*"), stmt("Deny", "aws-portal:*", "*")), 0, None)

aws("AWS::IAM::AccountPasswordPolicy", "global", f"arn:aws:iam::{ACCOUNT}:account-password-policy",
    "account-password-policy", {
        "present": True, "minimumPasswordLength": 8, "requireSymbols": False, "requireNumbers": True,
        "requireUppercaseCharacters": True, "requireLowercaseCharacters": True, "allowUsersToChangePassword": True,
        "expirePasswords": False, "maxPasswordAge": None, "passwordReusePrevention": None, "hardExpiry": False})

aws("AWS::IAM::AccountSummary", "global", f"arn:aws:iam::{ACCOUNT}:account-summary", "account-summary", {
    "GroupPolicySizeQuota": 5120, "InstanceProfilesQuota": 1000, "Policies": 2, "GroupsPerUserQuota": 10,
    "InstanceProfiles": 1, "AttachedPoliciesPerUserQuota": 10, "Users": 5, "PoliciesQuota": 1500,
    "Providers": 0, "AccountMFAEnabled": 1, "AccessKeysPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048,
    "PolicyVersionsInUseQuota": 10000, "GlobalEndpointTokenVersion": 1, "VersionsPerPolicyQuota": 5,
    "AttachedPoliciesPerGroupQuota": 10, "PolicySizeQuota": 6144, "Groups": 2, "AccountSigningCertificatesPresent": 0,
    "UsersQuota": 5000, "ServerCertificatesQuota": 20, "MFADevices": 3, "UserPolicySizeQuota": 2048,
    "PolicyVersionsInUse": 9, "ServerCertificates": 0, "Roles": 3, "RolesQuota": 1000, "SigningCertificatesPerUserQuota": 2,
    "MFADevicesInUse": 3, "RolePolicySizeQuota": 10240, "AttachedPoliciesPerRoleQuota": 10, "AccountAccessKeysPresent": 1,
    "GroupsQuota": 300})


def cred_row(user_name, arn, created, password_enabled, password_last_used, password_last_changed, mfa,
             key1=None, key2=None):
    """A credential report row as the collector leaves it: booleans, and null for N/A."""
    def key(k):
        if k is None:
            return {"active": False, "last_rotated": None, "last_used_date": None, "last_used_region": None,
                    "last_used_service": None}
        return dict(zip(["active", "last_rotated", "last_used_date", "last_used_region", "last_used_service"], k))
    k1, k2 = key(key1), key(key2)
    row = {"user": user_name, "arn": arn, "user_creation_time": created, "password_enabled": password_enabled,
           "password_last_used": password_last_used, "password_last_changed": password_last_changed,
           "password_next_rotation": None, "mfa_active": mfa}
    for n, k in ((1, k1), (2, k2)):
        for field, value in k.items():
            row[f"access_key_{n}_{field}"] = value
    row.update({"cert_1_active": False, "cert_1_last_rotated": None, "cert_2_active": False, "cert_2_last_rotated": None})
    aws("AWS::IAM::CredentialReport", "global", arn, user_name, row)


cred_row("<root_account>", f"arn:aws:iam::{ACCOUNT}:root", "2022-01-05T07:00:00+00:00", None,
         "2026-03-02T18:44:10+00:00", None, True,
         key1=(True, "2022-01-05T07:30:12+00:00", "2026-10-28T06:12:00+00:00", "us-east-1", "s3"))
cred_row("alice.admin", f"arn:aws:iam::{ACCOUNT}:user/alice.admin", "2023-03-14T08:55:12+00:00", True,
         "2026-11-19T17:02:33+00:00", "2026-09-01T08:00:00+00:00", True)
cred_row("bob.dev", f"arn:aws:iam::{ACCOUNT}:user/bob.dev", "2023-06-01T13:20:45+00:00", True,
         "2026-11-18T09:12:40+00:00", "2023-06-01T13:25:02+00:00", False,
         key1=(True, "2023-06-02T10:00:00+00:00", "2026-11-18T09:30:00+00:00", "eu-west-1", "dynamodb"))
cred_row("ci-deploy", f"arn:aws:iam::{ACCOUNT}:user/ci-deploy", "2022-02-10T10:05:09+00:00", False, None, None, False,
         key1=(True, "2022-02-10T10:06:31+00:00", "2026-11-20T03:00:12+00:00", "us-east-1", "cloudformation"),
         key2=(False, "2021-11-30T16:00:00+00:00", None, None, None))
cred_row("carol.audit", f"arn:aws:iam::{ACCOUNT}:user/carol.audit", "2024-01-08T09:41:27+00:00", True,
         "2026-11-14T12:20:05+00:00", "2026-07-08T09:00:00+00:00", True)
cred_row("dave.contractor", f"arn:aws:iam::{ACCOUNT}:user/dave.contractor", "2025-02-17T15:33:50+00:00", True,
         "2026-06-28T16:47:21+00:00", "2025-02-17T15:40:00+00:00", False)


def recorder_status(region, recording):
    aws("AWS::Config::RecorderStatus", region, f"arn:aws:config:{region}:{ACCOUNT}:recorder-status", "default", {
        "recorders": [{"name": "default", "recording": recording, "lastStatus": "Success" if recording else "Failure",
                       "allSupported": True, "includeGlobalResourceTypes": region == "us-east-1"}],
        "deliveryChannels": [{"name": "default", "s3BucketName": "nw-config-snapshots",
                              "lastStatus": "SUCCESS" if recording else "FAILURE"}]})


recorder_status("us-east-1", True)
recorder_status("eu-west-1", False)

# ---------------------------------------------------------------- AWS: EC2 and VPC
VPC = {"us-east-1": "vpc-0a1b2c3d4e5f60718", "eu-west-1": "vpc-0f9e8d7c6b5a40392"}


def perm(proto, port=None, cidrs=(), v6=(), groups=()):
    p = {"ipProtocol": proto}
    if proto != "-1":
        p["fromPort"], p["toPort"] = port if isinstance(port, tuple) else (port, port)
    p.update({
        "ipv6Ranges": [{"cidrIpv6": c} for c in v6],
        "prefixListIds": [],
        "userIdGroupPairs": [{"groupId": g, "userId": ACCOUNT} for g in groups],
        "ipv4Ranges": [{"cidrIp": c} for c in cidrs],
        "ipRanges": list(cidrs),
    })
    return p


def sg(region, gid, name, description, ingress, egress=None, tags=None):
    aws("AWS::EC2::SecurityGroup", region, f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{gid}", name, {
        "description": description, "groupName": name, "ipPermissions": ingress, "ownerId": ACCOUNT, "groupId": gid,
        "ipPermissionsEgress": egress if egress is not None else [perm("-1", cidrs=["0.0.0.0/0"])],
        "tags": kv_tags(tags or {}), "vpcId": VPC[region]}, {}, tags)


sg("us-east-1", "sg-0d41a2b3c4d5e6f70", "default", "default VPC security group",
   [perm("-1", groups=["sg-0d41a2b3c4d5e6f70"])])
sg("us-east-1", "sg-03c1e5a7b9d2f4608", "web-alb", "Public HTTPS to the load balancer",
   [perm("tcp", 443, ["0.0.0.0/0"], ["::/0"])], tags={"Name": "web-alb", "environment": "production"})
sg("us-east-1", "sg-0b7d9f1a3c5e7092a", "bastion-ssh", "SSH to the bastion host",
   [perm("tcp", 22, ["0.0.0.0/0"])], tags={"Name": "bastion-ssh"})
sg("us-east-1", "sg-06e8a0c2e4a6c8e0b", "orders-db", "PostgreSQL from the app tier",
   [perm("tcp", 5432, groups=["sg-03c1e5a7b9d2f4608"]), perm("tcp", 5432, ["10.20.0.0/16"])],
   tags={"Name": "orders-db", "environment": "production"})
sg("eu-west-1", "sg-0a2c4e6f8b0d2f46c", "win-rdp", "RDP to the reporting jump host",
   [perm("tcp", 3389, ["0.0.0.0/0"], ["::/0"]), perm("icmp", (-1, -1), ["10.30.0.0/16"])],
   tags={"Name": "win-rdp"})
sg("eu-west-1", "sg-0c5e7a9b1d3f5a7cd", "legacy-open", "launch-wizard-3 created 2019-11-08T08:05:12.221+00:00",
   [perm("-1", cidrs=["0.0.0.0/0"])], tags={})

for region, vid, cidr in (("us-east-1", VPC["us-east-1"], "10.20.0.0/16"), ("eu-west-1", VPC["eu-west-1"], "10.30.0.0/16")):
    aws("AWS::EC2::VPC", region, f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{vid}", vid, {
        "cidrBlock": cidr, "dhcpOptionsId": "dopt-0e4f6a8b0c2d4e6f8", "state": "available", "vpcId": vid,
        "ownerId": ACCOUNT, "instanceTenancy": "default", "ipv6CidrBlockAssociationSet": [],
        "cidrBlockAssociationSet": [{"associationId": f"vpc-cidr-assoc-{vid[4:]}", "cidrBlock": cidr,
                                     "cidrBlockState": {"state": "associated", "statusMessage": None}}],
        "isDefault": False, "tags": [{"key": "Name", "value": f"nw-{region}"}]}, {}, {"Name": f"nw-{region}"})

aws("AWS::EC2::FlowLog", "us-east-1", f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/fl-07a9c1e3f5b7d9a1c",
    "fl-07a9c1e3f5b7d9a1c", {
        "creationTime": 1678786800000, "deliverLogsPermissionArn": f"arn:aws:iam::{ACCOUNT}:role/nw-flowlogs",
        "deliverLogsStatus": "SUCCESS", "flowLogId": "fl-07a9c1e3f5b7d9a1c", "flowLogStatus": "ACTIVE",
        "logGroupName": "/nw/vpc/flowlogs", "resourceId": VPC["us-east-1"], "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        "tags": [], "maxAggregationInterval": 600})


def instance(region, iid, name, itype, az, subnet, private_ip, public_ip, sgs, vol, imds, platform=None, profile=None):
    nic = {"networkInterfaceId": f"eni-{iid[2:]}", "subnetId": subnet, "vpcId": VPC[region], "description": "",
           "ownerId": ACCOUNT, "status": "in-use", "privateIpAddress": private_ip, "sourceDestCheck": True,
           "groups": [{"groupName": n, "groupId": g} for n, g in sgs],
           "attachment": {"attachmentId": f"eni-attach-{iid[2:]}", "deviceIndex": 0, "status": "attached",
                          "attachTime": "2024-02-01T10:00:00.000Z", "deleteOnTermination": True},
           "ipv6Addresses": []}
    if public_ip:
        nic["association"] = {"publicIp": public_ip, "publicDnsName": "", "ipOwnerId": "amazon"}
    cfg = {
        "instanceId": iid, "imageId": "ami-0c7d9e1f3a5b7c9d1" if platform is None else "ami-0e2f4a6b8c0d2e4f6",
        "state": {"code": 16, "name": "running"},
        "metadataOptions": {"state": "applied", "httpTokens": imds, "httpPutResponseHopLimit": 1 if imds == "optional" else 2,
                            "httpEndpoint": "enabled", "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"},
        "privateDnsName": f"ip-{private_ip.replace('.', '-')}.{region}.compute.internal",
        "publicDnsName": "", "stateTransitionReason": "", "keyName": "nw-ops", "amiLaunchIndex": 0, "productCodes": [],
        "instanceType": itype, "launchTime": "2024-02-01T10:00:00.000Z",
        "placement": {"availabilityZone": az, "groupName": "", "tenancy": "default"},
        "platform": platform, "monitoring": {"state": "disabled"}, "subnetId": subnet, "vpcId": VPC[region],
        "privateIpAddress": private_ip, "publicIpAddress": public_ip, "architecture": "x86_64",
        "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda" if platform is None else "/dev/sda1",
        "blockDeviceMappings": [{"deviceName": "/dev/xvda" if platform is None else "/dev/sda1",
                                 "ebs": {"volumeId": vol, "status": "attached",
                                         "attachTime": "2024-02-01T10:00:01.000Z", "deleteOnTermination": True}}],
        "iamInstanceProfile": {"arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile}", "id": "AIPAR7KXQ2M4IP0QRST7"}
        if profile else None,
        "virtualizationType": "hvm", "tags": [{"key": "Name", "value": name}],
        "securityGroups": [{"groupName": n, "groupId": g} for n, g in sgs], "sourceDestCheck": True,
        "hypervisor": "xen", "networkInterfaces": [nic], "ebsOptimized": True, "enaSupport": True,
    }
    aws("AWS::EC2::Instance", region, f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{iid}", iid, cfg, {}, {"Name": name})


instance("us-east-1", "i-0a3c5e7f9b1d3f5a7", "orders-app-1", "m6i.large", "us-east-1a", "subnet-0a1b2c3d4e5f6a7b8",
         "10.20.1.15", None, [("web-alb", "sg-03c1e5a7b9d2f4608")], "vol-0a1c3e5f7b9d1f3a5", "required",
         profile="nw-ec2-app-role")
instance("us-east-1", "i-0b4d6f8a0c2e4a6c8", "bastion", "t3.micro", "us-east-1b", "subnet-0f1e2d3c4b5a69788",
         "10.20.100.7", "54.210.31.77", [("bastion-ssh", "sg-0b7d9f1a3c5e7092a")], "vol-0b2d4f6a8c0e2a4c6", "optional")
instance("eu-west-1", "i-0c5e7a9b1d3f5a7c9", "reporting-jump", "t3.large", "eu-west-1a", "subnet-0c9b8a7d6e5f4a3b2",
         "10.30.1.20", "34.245.12.88", [("win-rdp", "sg-0a2c4e6f8b0d2f46c"), ("legacy-open", "sg-0c5e7a9b1d3f5a7cd")],
         "vol-0c3e5a7b9d1f3a5c7", "optional", platform="windows")


def volume(region, vid, az, size, vtype, encrypted, instance_id=None, device=None, tags=None):
    cfg = {"attachments": [{"attachTime": "2024-02-01T10:00:01.000Z", "device": device, "instanceId": instance_id,
                            "state": "attached", "volumeId": vid, "deleteOnTermination": True}] if instance_id else [],
           "availabilityZone": az, "createTime": "2024-02-01T10:00:00.512Z", "encrypted": encrypted,
           "kmsKeyId": f"arn:aws:kms:{region}:{ACCOUNT}:key/0f6c2d1e-3b4a-4e5f-9a8b-7c6d5e4f3a21" if encrypted else None,
           "outpostArn": None, "size": size, "snapshotId": "snap-0d2f4a6c8e0a2c4e6", "state": "in-use" if instance_id else "available",
           "volumeId": vid, "iops": 3000, "tags": kv_tags(tags or {}), "volumeType": vtype,
           "fastRestored": None, "multiAttachEnabled": False, "throughput": 125}
    aws("AWS::EC2::Volume", region, f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{vid}", vid, cfg, {}, tags)


volume("us-east-1", "vol-0a1c3e5f7b9d1f3a5", "us-east-1a", 50, "gp3", True, "i-0a3c5e7f9b1d3f5a7", "/dev/xvda",
       {"Name": "orders-app-1-root"})
volume("us-east-1", "vol-0b2d4f6a8c0e2a4c6", "us-east-1b", 8, "gp3", True, "i-0b4d6f8a0c2e4a6c8", "/dev/xvda",
       {"Name": "bastion-root"})
volume("eu-west-1", "vol-0c3e5a7b9d1f3a5c7", "eu-west-1a", 100, "gp2", False, "i-0c5e7a9b1d3f5a7c9", "/dev/sda1",
       {"Name": "reporting-jump-root"})
volume("eu-west-1", "vol-0d4f6b8c0e2a4c6e8", "eu-west-1b", 500, "st1", True, None, None, {"Name": "old-report-archive"})

# ---------------------------------------------------------------- AWS: RDS, CloudTrail, KMS


def rds(region, ident, dbi, engine, version, cls, public, retention, encrypted, multi_az, sg_id, tags):
    arn = f"arn:aws:rds:{region}:{ACCOUNT}:db:{ident}"
    port = 5432 if engine == "postgres" else 3306
    aws("AWS::RDS::DBInstance", region, arn, ident, {
        "dBInstanceIdentifier": ident, "dBInstanceClass": cls, "engine": engine, "dBInstanceStatus": "available",
        "masterUsername": "nwadmin", "dBName": ident.replace("nw-", "").replace("-db", ""),
        "endpoint": {"address": f"{ident}.c9akciq32.{region}.rds.amazonaws.com", "port": port, "hostedZoneId": "Z2R2ITUGPM61AM"},
        "allocatedStorage": 100, "instanceCreateTime": "2023-04-11T14:22:31.118Z", "preferredBackupWindow": "03:10-03:40",
        "backupRetentionPeriod": retention, "dBSecurityGroups": [],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": sg_id, "status": "active"}],
        "dBParameterGroups": [{"dBParameterGroupName": f"default.{engine}{version.split('.')[0]}", "parameterApplyStatus": "in-sync"}],
        "availabilityZone": f"{region}a",
        "dBSubnetGroup": {"dBSubnetGroupName": "nw-db-subnets", "dBSubnetGroupDescription": "database subnets",
                          "vpcId": VPC[region], "subnetGroupStatus": "Complete",
                          "subnets": [{"subnetIdentifier": "subnet-0d1e2f3a4b5c6d7e8", "subnetAvailabilityZone": {"name": f"{region}a"}, "subnetStatus": "Active"},
                                      {"subnetIdentifier": "subnet-0e2f3a4b5c6d7e8f9", "subnetAvailabilityZone": {"name": f"{region}b"}, "subnetStatus": "Active"}],
                          "dBSubnetGroupArn": None},
        "preferredMaintenanceWindow": "sun:05:00-sun:05:30",
        "pendingModifiedValues": {"dBInstanceClass": None, "allocatedStorage": None, "masterUserPassword": None, "port": None,
                                  "backupRetentionPeriod": None, "multiAZ": None, "engineVersion": None, "licenseModel": None,
                                  "iops": None, "dBInstanceIdentifier": None, "storageType": None, "cACertificateIdentifier": None,
                                  "dBSubnetGroupName": None},
        "latestRestorableTime": "2026-11-20T08:55:00.000Z" if retention else None,
        "multiAZ": multi_az, "engineVersion": version, "autoMinorVersionUpgrade": True,
        "readReplicaSourceDBInstanceIdentifier": None, "readReplicaDBInstanceIdentifiers": [],
        "readReplicaDBClusterIdentifiers": [], "licenseModel": "postgresql-license" if engine == "postgres" else "general-public-license",
        "iops": None, "optionGroupMemberships": [{"optionGroupName": f"default:{engine}-{version.split('.')[0]}", "status": "in-sync"}],
        "characterSetName": None, "secondaryAvailabilityZone": f"{region}b" if multi_az else None,
        "publiclyAccessible": public, "statusInfos": [], "storageType": "gp3", "tdeCredentialArn": None,
        "dbInstancePort": 0, "dBClusterIdentifier": None, "storageEncrypted": encrypted,
        "kmsKeyId": f"arn:aws:kms:{region}:{ACCOUNT}:key/0f6c2d1e-3b4a-4e5f-9a8b-7c6d5e4f3a21" if encrypted else None,
        "dbiResourceId": dbi, "cACertificateIdentifier": "rds-ca-rsa2048-g1", "domainMemberships": [],
        "copyTagsToSnapshot": True, "monitoringInterval": 60 if multi_az else 0,
        "enhancedMonitoringResourceArn": None, "monitoringRoleArn": None, "promotionTier": None,
        "dBInstanceArn": arn, "timezone": None, "iAMDatabaseAuthenticationEnabled": multi_az,
        "deletionProtection": multi_az,
    }, {"Tags": kv_tags(tags)}, tags)


rds("us-east-1", "nw-orders-db", "db-7QKX3M2PLT5VWYZR4HN6BCDEF2", "postgres", "15.8", "db.m6g.large", False, 14, True, True,
    "sg-06e8a0c2e4a6c8e0b", {"environment": "production", "data-class": "confidential"})
rds("eu-west-1", "nw-reporting-db", "db-4HN6BCDEF2QR8STUV3JK9LMNO4", "mysql", "8.0.39", "db.t3.medium", True, 0, False, False,
    "sg-0c5e7a9b1d3f5a7cd", {"environment": "reporting"})

aws("AWS::CloudTrail::Trail", "us-east-1", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/nw-management-events",
    "nw-management-events", {
        "name": "nw-management-events", "s3BucketName": "nw-cloudtrail-logs", "s3KeyPrefix": None,
        "includeGlobalServiceEvents": True, "isMultiRegionTrail": False, "homeRegion": "us-east-1",
        "trailARN": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/nw-management-events",
        "logFileValidationEnabled": False, "cloudWatchLogsLogGroupArn": None, "cloudWatchLogsRoleArn": None,
        "kmsKeyId": None, "hasCustomEventSelectors": False, "hasInsightSelectors": False, "isOrganizationTrail": False},
    {"Tags": []})


def kms(region, key_id, created_ms, description, rotation, tags):
    arn = f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"
    aws("AWS::KMS::Key", region, arn, key_id, {
        "keyId": key_id, "arn": arn, "creationDate": created_ms, "enabled": True, "description": description,
        "keyUsage": "ENCRYPT_DECRYPT", "keyState": "Enabled", "origin": "AWS_KMS", "keyManager": "CUSTOMER",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "keySpec": "SYMMETRIC_DEFAULT",
        "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "signingAlgorithms": [], "multiRegion": False,
        "macAlgorithms": [], "awsaccountId": ACCOUNT}, {
        "KeyRotationStatus": rotation,
        "Policy": {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow use of the key", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/nw-ec2-app-role"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
             "Resource": "*"}]},
        "Tags": [{"tagKey": k, "tagValue": v} for k, v in tags.items()]}, tags)


kms("us-east-1", "0f6c2d1e-3b4a-4e5f-9a8b-7c6d5e4f3a21", 1678786262000, "nw data at rest", True, {"environment": "production"})
kms("eu-west-1", "7a2b9c4d-1e6f-4a3b-8c5d-2e9f0a1b3c4d", 1573200730000, "legacy reporting exports", False, {})

# ---------------------------------------------------------------- Azure
RG_PROD, RG_DATA, RG_SHARED = "rg-nw-prod", "rg-nw-data", "rg-nw-shared"
for rg, loc in ((RG_PROD, "westeurope"), (RG_DATA, "westeurope"), (RG_SHARED, "northeurope")):
    azure("microsoft.resources/subscriptions/resourcegroups", f"/subscriptions/{SUB}/resourcegroups/{rg}", rg, loc,
          {"provisioningState": "Succeeded"}, tags={"environment": "production", "owner": "platform-team"})


def storage(rg, name, loc, https_only, tls, blob_public, network_default, tags):
    props = {
        "keyCreationTime": {"key1": "2024-03-18T04:42:22.4322836Z", "key2": "2024-03-18T04:42:22.4322836Z"},
        "allowCrossTenantReplication": False, "privateEndpointConnections": [], "minimumTlsVersion": tls,
        "allowBlobPublicAccess": blob_public, "allowSharedKeyAccess": True, "isHnsEnabled": False,
        "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": network_default},
        "supportsHttpsTrafficOnly": https_only,
        "encryption": {"services": {
            "file": {"keyType": "Account", "enabled": True, "lastEnabledTime": "2024-03-18T04:42:22.3851519Z"},
            "blob": {"keyType": "Account", "enabled": True, "lastEnabledTime": "2024-03-18T04:42:22.3851519Z"}},
            "requireInfrastructureEncryption": False, "keySource": "Microsoft.Storage"},
        "accessTier": "Hot", "provisioningState": "Succeeded", "creationTime": "2024-03-18T04:42:22.3226521Z",
        "primaryEndpoints": {s: f"https://{name}.{s}.core.windows.net/" for s in ("dfs", "web", "blob", "queue", "table", "file")},
        "primaryLocation": loc, "statusOfPrimary": "available", "publicNetworkAccess": "Enabled",
    }
    azure("microsoft.storage/storageaccounts", az_id("microsoft.storage/storageaccounts", rg, name), name, loc, props,
          sku={"name": "Standard_ZRS", "tier": "Standard"}, kind="StorageV2", tags=tags)


storage(RG_PROD, "stnwprodweu", "westeurope", True, "TLS1_2", False, "Deny", {"environment": "production"})
storage(RG_DATA, "stnwlegacy", "westeurope", False, "TLS1_0", True, "Allow", {"environment": "legacy"})
storage(RG_SHARED, "stnwdiagneu", "northeurope", True, "TLS1_2", False, "Allow", {"purpose": "diagnostics"})


def nsg_rule(nsg_id, name, priority, port, source, access="Allow", protocol="Tcp", direction="Inbound"):
    return {"name": name, "id": f"{nsg_id}/securityRules/{name}", "etag": 'W/"00000000-0000-0000-0000-000000000000"',
            "type": "Microsoft.Network/networkSecurityGroups/securityRules",
            "properties": {"provisioningState": "Succeeded", "protocol": protocol, "sourcePortRange": "*",
                           "destinationPortRange": port, "sourceAddressPrefix": source, "destinationAddressPrefix": "*",
                           "access": access, "priority": priority, "direction": direction,
                           "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [],
                           "destinationAddressPrefixes": []}}


DEFAULT_RULES = [
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*", "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001, "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
]


def nsg(rg, name, loc, rules):
    nid = az_id("microsoft.network/networksecuritygroups", rg, name)
    defaults = [{"name": n, "id": f"{nid}/defaultSecurityRules/{n}",
                 "properties": {"provisioningState": "Succeeded", "description": d, "protocol": "*", "sourcePortRange": "*",
                                "destinationPortRange": "*", "sourceAddressPrefix": s, "destinationAddressPrefix": t,
                                "access": a, "priority": p, "direction": dr}} for n, d, s, t, a, p, dr in DEFAULT_RULES]
    azure("microsoft.network/networksecuritygroups", nid, name, loc, {
        "provisioningState": "Succeeded", "resourceGuid": "2f1e7c3a-9b4d-4e6f-8a2c-5d7e9f1b3c4a",
        "securityRules": [nsg_rule(nid, *r) for r in rules], "defaultSecurityRules": defaults,
        "networkInterfaces": [], "subnets": []}, tags={"environment": "production"})


nsg(RG_PROD, "nsg-nw-web", "westeurope", [("allow-https", 100, "443", "Internet"), ("allow-rdp-admin", 300, "3389", "Internet")])
nsg(RG_PROD, "nsg-nw-app", "westeurope", [("allow-ssh-from-vnet", 100, "22", "10.40.0.0/16"),
                                          ("allow-app-from-web", 110, "8080", "10.40.1.0/24")])


def vault(rg, name, loc, purge, rbac, public):
    props = {"sku": {"family": "A", "name": "standard"}, "tenantId": TENANT, "accessPolicies": [] if rbac else [{
        "tenantId": TENANT, "objectId": "9c1d3e5f-7a9b-4c1d-8e3f-5a7b9c1d3e5f",
        "permissions": {"keys": ["get", "list", "create", "delete"], "secrets": ["get", "list", "set", "delete"],
                        "certificates": ["get", "list"]}}],
        "enabledForDeployment": False, "enabledForDiskEncryption": True, "enabledForTemplateDeployment": False,
        "enableSoftDelete": True, "softDeleteRetentionInDays": 90, "enableRbacAuthorization": rbac,
        "vaultUri": f"https://{name}.vault.azure.net/", "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow" if public else "Deny", "ipRules": [], "virtualNetworkRules": []}}
    if purge:
        props["enablePurgeProtection"] = True
    azure("microsoft.keyvault/vaults", az_id("microsoft.keyvault/vaults", rg, name), name, loc, props,
          tags={"environment": "production"})


vault(RG_SHARED, "kv-nw-prod", "northeurope", True, True, False)
vault(RG_DATA, "kv-nw-legacy", "westeurope", False, False, True)

SQL_ID = az_id("microsoft.sql/servers", RG_DATA, "sql-nw-orders")
azure("microsoft.sql/servers", SQL_ID, "sql-nw-orders", "westeurope", {
    "administratorLogin": "nwsqladmin", "version": "12.0", "state": "Ready",
    "fullyQualifiedDomainName": "sql-nw-orders.database.windows.net", "privateEndpointConnections": [],
    "minimalTlsVersion": "1.2", "publicNetworkAccess": "Enabled", "restrictOutboundNetworkAccess": "Disabled",
    "administrators": {"administratorType": "ActiveDirectory", "principalType": "Group", "login": "sql-admins",
                       "sid": "4e6f8a0b-2c4d-4e6f-8a0b-2c4d6e8f0a1b", "tenantId": TENANT, "azureADOnlyAuthentication": False}},
    kind="v12.0", tags={"environment": "production"})
azure("microsoft.sql/servers/databases", f"{SQL_ID}/databases/orders", "orders", "westeurope", {
    "collation": "SQL_Latin1_General_CP1_CI_AS", "maxSizeBytes": 268435456000, "status": "Online",
    "databaseId": "6a8c0e2f-4b6d-4f8a-0c2e-4b6d8f0a2c4e", "creationDate": "2023-04-12T10:21:33.52Z",
    "currentServiceObjectiveName": "S2", "requestedServiceObjectiveName": "S2", "defaultSecondaryLocation": "northeurope",
    "catalogCollation": "SQL_Latin1_General_CP1_CI_AS", "zoneRedundant": False, "readScale": "Disabled",
    "currentSku": {"name": "Standard", "tier": "Standard", "capacity": 50}, "currentBackupStorageRedundancy": "Geo",
    "requestedBackupStorageRedundancy": "Geo", "isLedgerOn": False},
    sku={"name": "Standard", "tier": "Standard", "capacity": 50}, kind="v12.0,user", tags={"environment": "production"})
azure("microsoft.sql/servers/auditingsettings", f"{SQL_ID}/auditingsettings/default", "default", "westeurope", {
    "state": "Disabled", "storageEndpoint": "", "retentionDays": 0, "auditActionsAndGroups": [],
    "storageAccountSubscriptionId": "00000000-0000-0000-0000-000000000000", "isStorageSecondaryKeyInUse": False,
    "isAzureMonitorTargetEnabled": False, "isManagedIdentityInUse": False})
azure("microsoft.sql/servers/databases/transparentdataencryption",
      f"{SQL_ID}/databases/orders/transparentdataencryption/current", "current", "westeurope",
      {"state": "Enabled", "scanState": "None"})


def disk(rg, name, loc, size, os_type, encryption, enc_host_settings=None):
    props = {"osType": os_type, "hyperVGeneration": "V2", "supportedCapabilities": {"acceleratedNetwork": True},
             "creationData": {"createOption": "FromImage"}, "diskSizeGB": size, "diskIOPSReadWrite": 500,
             "diskMBpsReadWrite": 100, "encryption": encryption, "networkAccessPolicy": "AllowAll",
             "publicNetworkAccess": "Enabled", "timeCreated": "2024-02-05T09:14:52.6105924+00:00",
             "provisioningState": "Succeeded", "diskState": "Attached", "diskSizeBytes": size * 1073741824,
             "uniqueId": "3c5e7a9b-1d3f-4a5c-7e9b-1d3f5a7c9e1b", "tier": "P10"}
    if enc_host_settings is not None:
        props["encryptionSettingsCollection"] = enc_host_settings
    azure("microsoft.compute/disks", az_id("microsoft.compute/disks", rg, name), name, loc, props,
          sku={"name": "Premium_LRS", "tier": "Premium"}, tags={"environment": "production"})


DES = f"/subscriptions/{SUB}/resourceGroups/{RG_SHARED}/providers/Microsoft.Compute/diskEncryptionSets/des-nw-cmk"
disk(RG_PROD, "vm-nw-web01_OsDisk_1", "westeurope", 64, "Linux",
     {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": DES})
disk(RG_PROD, "vm-nw-web01_DataDisk_0", "westeurope", 256, None,
     {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": DES})
disk(RG_PROD, "vm-nw-jump01_OsDisk_1", "westeurope", 127, "Windows",
     {"type": "EncryptionAtRestWithPlatformKey"}, {"enabled": False, "encryptionSettings": None})


def vm(rg, name, loc, size, windows, encryption_at_host, os_disk, data_disks=()):
    md = lambda d: {"storageAccountType": "Premium_LRS", "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{d}"}
    os_profile = {"computerName": name, "adminUsername": "nwadmin", "secrets": [], "allowExtensionOperations": True,
                  "requireGuestProvisionSignal": True}
    if windows:
        os_profile["windowsConfiguration"] = {"provisionVMAgent": True, "enableAutomaticUpdates": True,
                                              "patchSettings": {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"}}
        image = {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2019-datacenter-gensecond",
                 "version": "latest", "exactVersion": "17763.6414.241004"}
    else:
        os_profile["linuxConfiguration"] = {"disablePasswordAuthentication": True, "ssh": {"publicKeys": [{
            "path": "/home/nwadmin/.ssh/authorized_keys",
            "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq8f3xkVb0oRz2uUo7mYwK3c6mE9T1xJvQ5yP0aL2dN nw-ops"}]},
            "provisionVMAgent": True, "patchSettings": {"patchMode": "AutomaticByPlatform", "assessmentMode": "AutomaticByPlatform"}}
        image = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2",
                 "version": "latest", "exactVersion": "22.04.202410020"}
    props = {
        "vmId": "8e0a2c4e-6f8a-4c0e-2a4c-6e8f0a2c4e6f" if windows else "1b3d5f7a-9c1e-4b3d-5f7a-9c1e3b5d7f9a",
        "hardwareProfile": {"vmSize": size},
        "storageProfile": {"imageReference": image,
                           "osDisk": {"osType": "Windows" if windows else "Linux", "name": os_disk, "createOption": "FromImage",
                                      "caching": "ReadWrite", "managedDisk": md(os_disk), "deleteOption": "Delete",
                                      "diskSizeGB": 127 if windows else 64},
                           "dataDisks": [{"lun": i, "name": d, "createOption": "Empty", "caching": "ReadOnly",
                                          "managedDisk": md(d), "deleteOption": "Detach", "diskSizeGB": 256,
                                          "toBeDetached": False} for i, d in enumerate(data_disks)]},
        "osProfile": os_profile,
        "securityProfile": {"uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
                            "encryptionAtHost": encryption_at_host, "securityType": "TrustedLaunch"},
        "networkProfile": {"networkInterfaces": [{"id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic"}]},
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        "provisioningState": "Succeeded", "timeCreated": "2024-02-05T09:14:50.4417392+00:00",
    }
    azure("microsoft.compute/virtualmachines", az_id("microsoft.compute/virtualmachines", rg, name), name, loc, props,
          identity={"type": "SystemAssigned", "principalId": "5d7f9b1d-3f5a-4c7e-9b1d-3f5a7c9e1b3d", "tenantId": TENANT},
          tags={"environment": "production", "role": "jump" if windows else "web"})


vm(RG_PROD, "vm-nw-web01", "westeurope", "Standard_D4s_v5", False, True, "vm-nw-web01_OsDisk_1", ["vm-nw-web01_DataDisk_0"])
vm(RG_PROD, "vm-nw-jump01", "westeurope", "Standard_B2ms", True, False, "vm-nw-jump01_OsDisk_1")


def site(rg, name, loc, https_only, ftps, min_tls, http2, identity):
    site_config = {
        "numberOfWorkers": 1, "defaultDocuments": ["Default.htm", "Default.html", "index.html"], "netFrameworkVersion": "v4.0",
        "phpVersion": "", "pythonVersion": "", "nodeVersion": "", "powerShellVersion": "",
        "linuxFxVersion": "DOTNETCORE|8.0" if https_only else "PHP|7.4", "requestTracingEnabled": False,
        "remoteDebuggingEnabled": not https_only, "httpLoggingEnabled": https_only, "acrUseManagedIdentityCreds": False,
        "logsDirectorySizeLimit": 35, "detailedErrorLoggingEnabled": False, "use32BitWorkerProcess": False,
        "webSocketsEnabled": False, "alwaysOn": True, "appCommandLine": "", "managedPipelineMode": "Integrated",
        "virtualApplications": [{"virtualPath": "/", "physicalPath": "site\\wwwroot", "preloadEnabled": True}],
        "loadBalancing": "LeastRequests", "autoHealEnabled": False, "vnetName": "", "vnetRouteAllEnabled": False,
        "vnetPrivatePortsCount": 0, "http20Enabled": http2, "minTlsVersion": min_tls, "scmMinTlsVersion": min_tls,
        "ftpsState": ftps, "functionAppScaleLimit": 0, "functionsRuntimeScaleMonitoringEnabled": False,
        "minimumElasticInstanceCount": 0, "azureStorageAccounts": {},
    }
    props = {
        "state": "Running", "hostNames": [f"{name}.azurewebsites.net"], "repositorySiteName": name, "usageState": "Normal",
        "enabled": True, "enabledHostNames": [f"{name}.azurewebsites.net", f"{name}.scm.azurewebsites.net"],
        "availabilityState": "Normal",
        "hostNameSslStates": [{"name": f"{name}.azurewebsites.net", "sslState": "Disabled", "hostType": "Standard"},
                              {"name": f"{name}.scm.azurewebsites.net", "sslState": "Disabled", "hostType": "Repository"}],
        "serverFarmId": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/asp-nw-linux",
        "reserved": True, "isXenon": False, "hyperV": False, "lastModifiedTimeUtc": "2026-10-14T08:31:12.4466667",
        "siteConfig": site_config, "scmSiteAlsoStopped": False, "clientAffinityEnabled": False,
        "clientCertEnabled": False, "clientCertMode": "Required", "hostNamesDisabled": False,
        "customDomainVerificationId": "3E1F0C5A9B7D2E4F6A8C0B2D4E6F8A0C2B4D6E8F0A2C4E6B8D0F2A4C6E8B0D2F",
        "outboundIpAddresses": "20.105.224.17,20.105.224.18", "containerSize": 0, "dailyMemoryTimeQuota": 0,
        "resourceGroup": rg, "defaultHostName": f"{name}.azurewebsites.net", "httpsOnly": https_only,
        "redundancyMode": "None", "storageAccountRequired": False, "keyVaultReferenceIdentity": "SystemAssigned",
        "publicNetworkAccess": "Enabled",
    }
    azure("microsoft.web/sites", az_id("microsoft.web/sites", rg, name), name, loc, props, kind="app,linux",
          identity={"type": "SystemAssigned", "principalId": "7f9b1d3f-5a7c-4e9b-1d3f-5a7c9e1b3d5f", "tenantId": TENANT}
          if identity else None, tags={"environment": "production"})


site(RG_PROD, "app-nw-portal", "westeurope", True, "Disabled", "1.2", True, True)
site(RG_PROD, "app-nw-legacy", "westeurope", False, "AllAllowed", "1.0", False, False)

for plan, tier, sub_plan in (("VirtualMachines", "Standard", "P2"), ("SqlServers", "Free", None),
                             ("StorageAccounts", "Free", None), ("KeyVaults", "Standard", "PerKeyVault"),
                             ("Arm", "Standard", "PerSubscription"), ("AppServices", "Free", None)):
    props = {"pricingTier": tier, "freeTrialRemainingTime": "PT0S"}
    if tier == "Standard":
        props.update({"subPlan": sub_plan, "enablementTime": "2025-03-01T12:42:42.1921106Z", "enforce": "False",
                      "resourcesCoverageStatus": "FullyCovered", "extensions": []})
    if plan == "VirtualMachines":
        props["extensions"] = [{"name": "AgentlessVmScanning", "isEnabled": "True",
                                "additionalExtensionProperties": {"ExclusionTags": "[]"}},
                               {"name": "MdeDesignatedSubscription", "isEnabled": "False"}]
    azure("microsoft.security/pricings", f"/subscriptions/{SUB}/providers/microsoft.security/pricings/{plan}", plan,
          "global", props)

ROLE_DEFS = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}
for assignment, role_name, principal, ptype, scope in (
        ("3d6f8b0d-2f4a-4c6e-8b0d-2f4a6c8e0b2d", "Owner", "1f3b5d7f-9a1c-4e3b-5d7f-9a1c3e5b7d9f", "User", f"/subscriptions/{SUB}"),
        ("4e7a9c1e-3a5b-4d7f-9c1e-3a5b7d9f1c3e", "Owner", "2a4c6e8a-0b2d-4f6a-8c0e-2b4d6f8a0c2e", "User", f"/subscriptions/{SUB}"),
        ("5f8b0d2f-4b6c-4e8a-0d2f-4b6c8e0a2d4f", "Contributor", "6b8d0f2b-4d6f-4a8c-0e2b-4d6f8a0c2e4b", "ServicePrincipal",
         f"/subscriptions/{SUB}/resourceGroups/{RG_PROD}"),
        ("6a9c1e3a-5c7d-4f9b-1e3a-5c7d9f1b3e5a", "Reader", "7c9e1a3c-5e7a-4b9d-1f3c-5e7a9b1d3f5c", "Group", f"/subscriptions/{SUB}"),
        ("7b0d2f4b-6d8e-4a0c-2f4b-6d8e0a2c4f6b", "nw-custom-operator", "6b8d0f2b-4d6f-4a8c-0e2b-4d6f8a0c2e4b",
         "ServicePrincipal", f"/subscriptions/{SUB}")):
    def_id = ROLE_DEFS.get(role_name, "9d1f3b5d-7f9a-4c1e-3b5d-7f9a1c3e5b7d")
    prefix = "" if role_name in ROLE_DEFS else f"/subscriptions/{SUB}"
    azure("microsoft.authorization/roleassignments",
          f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment}", assignment, "global", {
              "roleDefinitionId": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{def_id}",
              "principalId": principal, "principalType": ptype, "scope": scope, "condition": None, "conditionVersion": None,
              "createdOn": "2024-02-01T09:00:00.0000000Z", "updatedOn": "2024-02-01T09:00:00.0000000Z",
              "createdBy": "1f3b5d7f-9a1c-4e3b-5d7f-9a1c3e5b7d9f", "updatedBy": "1f3b5d7f-9a1c-4e3b-5d7f-9a1c3e5b7d9f",
              "delegatedManagedIdentityResourceId": None, "description": None})

azure("microsoft.authorization/roledefinitions",
      f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/9d1f3b5d-7f9a-4c1e-3b5d-7f9a1c3e5b7d",
      "9d1f3b5d-7f9a-4c1e-3b5d-7f9a1c3e5b7d", "global", {
          "roleName": "nw-custom-operator", "type": "CustomRole",
          "description": "Operations team: everything, written in a hurry in 2022",
          "assignableScopes": [f"/subscriptions/{SUB}"],
          "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
          "createdOn": "2022-05-10T14:03:11.1234567Z", "updatedOn": "2022-05-10T14:03:11.1234567Z",
          "createdBy": "1f3b5d7f-9a1c-4e3b-5d7f-9a1c3e5b7d9f", "updatedBy": "1f3b5d7f-9a1c-4e3b-5d7f-9a1c3e5b7d9f"})
azure("microsoft.authorization/roledefinitions",
      f"/providers/Microsoft.Authorization/roleDefinitions/{ROLE_DEFS['Reader']}", ROLE_DEFS["Reader"], "global", {
          "roleName": "Reader", "type": "BuiltInRole", "description": "View all resources, but does not allow you to make any changes.",
          "assignableScopes": ["/"],
          "permissions": [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}],
          "createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2021-11-11T20:13:47.8628684Z",
          "createdBy": None, "updatedBy": None})

ACTION_GROUP = f"/subscriptions/{SUB}/resourcegroups/{RG_SHARED}/providers/microsoft.insights/actiongroups/ag-nw-secops"
for name, operation in (("alert-policy-assignment-write", "Microsoft.Authorization/policyAssignments/write"),
                        ("alert-nsg-write", "Microsoft.Network/networkSecurityGroups/write")):
    azure("microsoft.insights/activitylogalerts", az_id("microsoft.insights/activitylogalerts", RG_SHARED, name), name,
          "global", {
              "scopes": [f"/subscriptions/{SUB}"],
              "condition": {"allOf": [{"field": "category", "equals": "Administrative"},
                                      {"field": "operationName", "equals": operation}]},
              "actions": {"actionGroups": [{"actionGroupId": ACTION_GROUP, "webhookProperties": {}}]},
              "enabled": True, "description": f"Notify security operations on {operation}"})


def diag(scope_id, name, props):
    azure("microsoft.insights/diagnosticsettings", f"{scope_id}/providers/microsoft.insights/diagnosticSettings/{name}",
          name, "global", props, scope=scope_id.lower())


LAW = f"/subscriptions/{SUB}/resourceGroups/{RG_SHARED}/providers/Microsoft.OperationalInsights/workspaces/law-nw-central"
diag(f"/subscriptions/{SUB}", "activity-to-law", {
    "workspaceId": LAW, "storageAccountId": None, "eventHubAuthorizationRuleId": None, "eventHubName": None,
    "logs": [{"category": c, "enabled": c != "Security"} for c in
             ("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth")]})
diag(az_id("microsoft.keyvault/vaults", RG_SHARED, "kv-nw-prod"), "kv-audit-to-law", {
    "workspaceId": LAW, "storageAccountId": None, "eventHubAuthorizationRuleId": None, "eventHubName": None,
    "metrics": [{"category": "AllMetrics", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}],
    "logs": [{"categoryGroup": "audit", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}},
             {"categoryGroup": "allLogs", "enabled": False, "retentionPolicy": {"enabled": False, "days": 0}}],
    "logAnalyticsDestinationType": None})

# ---------------------------------------------------------------- services shaped like the catalog's examples
# For services without a recorded item in shared/reference, the estate reuses the configuration of
# a check example (each is itself built from the service's documented configuration item or ARM
# response), so that every built-in check meets real-shaped data here. (check, expect, name, region)
import tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent


def example_config(check, expect):
    spec = tomllib.loads((REPO / "checks" / f"{check}.toml").read_text())
    ex = next(e for e in spec["examples"] if e["expect"] == expect and "config" in e)
    return spec["resource_types"][0], json.loads(ex["config"]), ex.get("tags", {})


FROM_EXAMPLES = [
    ("aws/acm/certificate-not-expiring", "pass", "www.northwind.example", "us-east-1"),
    ("aws/backup/vault-locked", "fail", "nw-default-vault", "eu-west-1"),
    ("aws/backup/plan-retention-minimum", "pass", "nw-daily-35d", "eu-west-1"),
    ("aws/efs/filesystem-encrypted", "fail", "nw-shared-home", "eu-west-1"),
    ("aws/efs/filesystem-backup-enabled", "pass", "nw-builds", "us-east-1"),
    ("aws/elbv2/listener-tls-policy-modern", "fail", "nw-web-https", "us-east-1"),
    ("aws/guardduty/s3-protection-enabled", "fail", "nw-detector-use1", "us-east-1"),
    ("azure/aks/cluster-rbac-enabled", "pass", "aks-nw-prod", "westeurope"),
    ("azure/aks/cluster-autoscaler-enabled", "fail", "aks-nw-batch", "northeurope"),
    ("azure/containerregistry/registry-admin-user-disabled", "fail", "acrnwprod", "westeurope"),
    ("azure/mysql/flexible-server-public-access-disabled", "fail", "mysql-nw-legacy", "westeurope"),
    ("azure/postgresql/flexible-server-entra-auth-only", "pass", "pg-nw-orders", "westeurope"),
    ("azure/recoveryservices/vault-immutable", "fail", "rsv-nw-prod", "westeurope"),
    ("azure/security/assessment-healthy", "fail", "assessment-nw-vm-updates", "global"),
    ("azure/sql/server-audit-retention", "fail", "default", "westeurope"),
]

for check, expect, name, region in FROM_EXAMPLES:
    rtype, config, tags = example_config(check, expect)
    if rtype.startswith("AWS::"):
        service = rtype.split("::")[1].lower()
        rid = f"arn:aws:{service}:{region}:{ACCOUNT}:{rtype.split('::')[2].lower()}/{name}"
        aws(rtype, region, rid, name, config.get("configuration", {}),
            config.get("supplementaryConfiguration", {}), tags or None)
    else:
        rid = f"/subscriptions/{SUB}/resourcegroups/{RG_SHARED}/providers/{rtype}/{name}".lower()
        azure(rtype, rid, name, region, config.get("properties", {}), sku=config.get("sku"),
              kind=config.get("kind"), identity=config.get("identity"), tags=tags or None)

# ---------------------------------------------------------------- output
header = {
    "format": "annexa-inventory", "version": 1, "tool_version": "0.1.0", "collected_at": COLLECTED_AT,
    "sources": [
        {"provider": "aws", "account": ACCOUNT, "regions": ["eu-west-1", "us-east-1"],
         "principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/AnnexaAudit/annexa"},
        {"provider": "azure", "account": SUB, "regions": ["northeurope", "westeurope"],
         "principal": "servicePrincipal 0d2f4a6c-8e0a-4c2e-6a8c-0e2a4c6e8a0c"},
    ],
    "errors": [],
}
ids = [(r["resource_type"], r["id"]) for r in out]
assert len(ids) == len(set(ids)), "duplicate (type, id)"
w = sys.stdout
w.write(json.dumps(header, separators=(",", ":")) + "\n")
for r in out:
    w.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
