#!/usr/bin/python3
"""Cryptographic operations against Keyledger through boto3 (Debian's python3-boto3), checked locally.

Usage: /usr/bin/python3 test/python/kms_crypto_flow.py <endpoint-url>

Every check prints one line, "ok <name>" or "FAIL <name>: <reason>"; the script exits 1 if any check failed
(2 on a usage error). Local checks use hashlib/hmac and the `cryptography` package (Debian's
python3-cryptography), so the service is checked against an implementation that is not its own.
"""
import hashlib
import hmac
import os
import sys
import traceback

import boto3
from botocore.exceptions import ClientError

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:  # pragma: no cover - reported as a failed check below
    serialization = None

failures = []


def check(name, fn):
    """Runs one check; fn raises (AssertionError or anything else) to fail it."""
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - every failure becomes one FAIL line
        failures.append(name)
        reason = str(error) or type(error).__name__
        print(f"FAIL {name}: {reason}", flush=True)
        traceback.print_exc(file=sys.stderr)
    else:
        print(f"ok {name}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def error_code(call):
    """Runs call, which must fail with a botocore ClientError; returns its error code."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    raise AssertionError("the call succeeded but was expected to fail")


def main(endpoint):
    kms = boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    state = {}

    def need(name):
        if name not in state:
            raise AssertionError(f"skipped: the earlier check that creates the {name} key failed")
        return state[name]
    context = {"app": "boto3-flow", "tenant": "t-1"}

    def create_symmetric():
        meta = kms.create_key(Description="boto3 symmetric")["KeyMetadata"]
        expect(meta["KeySpec"] == "SYMMETRIC_DEFAULT", f"KeySpec {meta['KeySpec']}")
        expect(meta["KeyUsage"] == "ENCRYPT_DECRYPT", f"KeyUsage {meta['KeyUsage']}")
        expect(meta["KeyState"] == "Enabled", f"KeyState {meta['KeyState']}")
        expect(meta["Origin"] == "AWS_KMS", f"Origin {meta['Origin']}")
        state["symmetric"] = meta

    def encrypt_decrypt_with_context():
        meta = need("symmetric")
        plaintext = b"boto3 says hello\x00\xff" + os.urandom(64)
        encrypted = kms.encrypt(KeyId=meta["KeyId"], Plaintext=plaintext, EncryptionContext=context)
        expect(encrypted["KeyId"] == meta["Arn"], f"encrypt KeyId {encrypted['KeyId']}")
        expect(encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT", f"algorithm {encrypted.get('EncryptionAlgorithm')}")
        blob = encrypted["CiphertextBlob"]
        expect(plaintext not in blob, "the plaintext appears in the ciphertext")
        decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        expect(decrypted["Plaintext"] == plaintext, "decrypt returned other bytes")
        expect(decrypted["KeyId"] == meta["Arn"], f"decrypt KeyId {decrypted['KeyId']}")
        code = error_code(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "other"}))
        expect(code == "InvalidCiphertextException", f"wrong context gave {code}")

    def generate_data_key_then_decrypt():
        meta = need("symmetric")
        data_key = kms.generate_data_key(KeyId=meta["Arn"], KeySpec="AES_256", EncryptionContext=context)
        expect(len(data_key["Plaintext"]) == 32, f"data key of {len(data_key['Plaintext'])} bytes")
        expect(data_key["KeyId"] == meta["Arn"], f"KeyId {data_key['KeyId']}")
        decrypted = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=context)
        expect(decrypted["Plaintext"] == data_key["Plaintext"], "decrypt of the data key returned other bytes")

    def rsa_sign_pss_verify_locally():
        expect(serialization is not None, "python3-cryptography is not installed")
        meta = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        expect("RSASSA_PSS_SHA_256" in meta.get("SigningAlgorithms", []), f"SigningAlgorithms {meta.get('SigningAlgorithms')}")
        message = b"message signed by keyledger for boto3\n" + os.urandom(32)
        signed = kms.sign(KeyId=meta["KeyId"], Message=message, MessageType="RAW", SigningAlgorithm="RSASSA_PSS_SHA_256")
        expect(signed["SigningAlgorithm"] == "RSASSA_PSS_SHA_256", f"SigningAlgorithm {signed['SigningAlgorithm']}")
        expect(signed["KeyId"] == meta["Arn"], f"sign KeyId {signed['KeyId']}")
        signature = signed["Signature"]
        expect(len(signature) == 256, f"signature of {len(signature)} bytes")
        public = kms.get_public_key(KeyId=meta["KeyId"])
        expect(public["KeySpec"] == "RSA_2048", f"KeySpec {public.get('KeySpec')}")
        expect(public["KeyUsage"] == "SIGN_VERIFY", f"KeyUsage {public.get('KeyUsage')}")
        public_key = serialization.load_der_public_key(public["PublicKey"])
        expect(public_key.key_size == 2048, f"public key of {public_key.key_size} bits")
        # KMS: RSASSA-PSS with MGF1 of the same hash and a salt as long as the digest (32 bytes for SHA-256).
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        try:
            public_key.verify(signature, message, pss, hashes.SHA256())
        except InvalidSignature:
            raise AssertionError("cryptography rejects the Keyledger signature") from None
        state["rsa"] = (meta, message, signature)

    def rsa_kms_verify():
        meta, message, signature = need("rsa")
        verified = kms.verify(KeyId=meta["KeyId"], Message=message, MessageType="RAW", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
        expect(verified["SignatureValid"] is True, f"SignatureValid {verified.get('SignatureValid')}")
        # The same check over a SHA-256 digest (MessageType DIGEST) must accept the same signature.
        digest = hashlib.sha256(message).digest()
        verified = kms.verify(KeyId=meta["KeyId"], Message=digest, MessageType="DIGEST", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
        expect(verified["SignatureValid"] is True, f"DIGEST SignatureValid {verified.get('SignatureValid')}")
        code = error_code(
            lambda: kms.verify(KeyId=meta["KeyId"], Message=message + b"!", MessageType="RAW", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
        )
        expect(code == "KMSInvalidSignatureException", f"tampered message gave {code}")

    def hmac_generate_verify():
        meta = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        expect(meta.get("MacAlgorithms") == ["HMAC_SHA_256"], f"MacAlgorithms {meta.get('MacAlgorithms')}")
        message = b"boto3 mac message"
        mac = kms.generate_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")
        expect(mac["MacAlgorithm"] == "HMAC_SHA_256", f"MacAlgorithm {mac['MacAlgorithm']}")
        expect(len(mac["Mac"]) == hashlib.sha256().digest_size, f"mac of {len(mac['Mac'])} bytes")
        again = kms.generate_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")
        expect(hmac.compare_digest(again["Mac"], mac["Mac"]), "HMAC is not deterministic")
        verified = kms.verify_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256", Mac=mac["Mac"])
        expect(verified["MacValid"] is True, f"MacValid {verified.get('MacValid')}")
        state["hmac"] = (meta, message, mac["Mac"])

    def hmac_wrong_mac_refused():
        meta, message, mac = need("hmac")
        wrong = bytes([mac[0] ^ 1]) + mac[1:]
        try:
            kms.verify_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256", Mac=wrong)
        except kms.exceptions.KMSInvalidMacException as error:
            expect(error.response["Error"]["Code"] == "KMSInvalidMacException", f"code {error.response['Error']['Code']}")
        else:
            raise AssertionError("verify_mac accepted a wrong MAC")

    def sign_with_symmetric_key_refused():
        meta = need("symmetric")
        try:
            kms.sign(KeyId=meta["KeyId"], Message=b"x", MessageType="RAW", SigningAlgorithm="RSASSA_PSS_SHA_256")
        except kms.exceptions.InvalidKeyUsageException as error:
            expect(error.response["Error"]["Code"] == "InvalidKeyUsageException", f"code {error.response['Error']['Code']}")
            expect(error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"status {error.response['ResponseMetadata']['HTTPStatusCode']}")
        except ClientError as error:
            raise AssertionError(f"sign with a symmetric key gave {error.response['Error']['Code']}") from None
        else:
            raise AssertionError("sign with a symmetric key succeeded")

    checks = [
        ("create symmetric key", create_symmetric),
        ("encrypt/decrypt with encryption context", encrypt_decrypt_with_context),
        ("generate_data_key + decrypt", generate_data_key_then_decrypt),
        ("RSA_2048 sign RSASSA_PSS_SHA_256 verified locally", rsa_sign_pss_verify_locally),
        ("RSA_2048 kms.verify SignatureValid", rsa_kms_verify),
        ("HMAC_256 generate_mac/verify_mac", hmac_generate_verify),
        ("HMAC_256 wrong mac raises KMSInvalidMacException", hmac_wrong_mac_refused),
        ("sign with symmetric key raises InvalidKeyUsageException", sign_with_symmetric_key_refused),
    ]
    for name, fn in checks:
        check(name, fn)

    print(f"{'FAILED' if failures else 'PASSED'} {len(checks) - len(failures)}/{len(checks)} checks", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} <endpoint-url>", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
