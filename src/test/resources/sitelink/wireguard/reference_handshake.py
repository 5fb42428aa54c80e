#!/usr/bin/env python3
"""Independent reference for HandshakeTest's fixed-key transcript.

Written from the WireGuard whitepaper (section 5.4) on other libraries than the Java code uses: CPython's
hashlib/hmac BLAKE2s and pyca/cryptography (OpenSSL) X25519 and ChaCha20-Poly1305. It shares the author's
reading of the whitepaper with the Java code, so it catches library misuse and byte-order slips, not a
misreading of the spec; interop with wireguard-go is the test for that.  Run: python3 reference_handshake.py
"""
import hashlib, hmac, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

def HASH(*p): return hashlib.blake2s(b"".join(p)).digest()
def MAC(k, m): return hashlib.blake2s(m, key=k, digest_size=16).digest()
def HMAC(k, m): return hmac.new(k, m, hashlib.blake2s).digest()
def KDF(n, k, x):
    t0 = HMAC(k, x); out = []; prev = b""
    for i in range(1, n + 1):
        prev = HMAC(t0, prev + bytes([i])); out.append(prev)
    return out
def raw(pub): return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def priv(h): return X25519PrivateKey.from_private_bytes(bytes.fromhex(h))
def DH(sk, pk): return sk.exchange(X25519PublicKey.from_public_bytes(pk))
def AEAD(k, ctr, pt, ad): return ChaCha20Poly1305(k).encrypt(b"\0" * 4 + struct.pack("<Q", ctr), pt, ad)

S_i = priv("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")  # RFC 7748 Alice
S_r = priv("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")  # RFC 7748 Bob
E_i = priv("a8abababababababababababababababababababababababababababababab6b")
E_r = priv("c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d")
psk = bytes(range(1, 33))
I_i, I_r = 0x11223344, 0x55667788
# TAI64N of 2025-01-01T00:00:00.5Z, nanoseconds whitened down to a multiple of 2^24.
secs, nanos = 0x400000000000000A + 1735689600, 500_000_000 & ~0xFFFFFF
timestamp = struct.pack(">QI", secs, nanos)

Spub_i, Spub_r, Epub_i, Epub_r = raw(S_i.public_key()), raw(S_r.public_key()), raw(E_i.public_key()), raw(E_r.public_key())
C = HASH(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
H = HASH(HASH(C, b"WireGuard v1 zx2c4 Jason@zx2c4.com"), Spub_r)
C = KDF(1, C, Epub_i)[0]; H = HASH(H, Epub_i)
C, k = KDF(2, C, DH(E_i, Spub_r)); static = AEAD(k, 0, Spub_i, H); H = HASH(H, static)
C, k = KDF(2, C, DH(S_i, Spub_r)); ts = AEAD(k, 0, timestamp, H); H = HASH(H, ts)
init = struct.pack("<I", 1) + struct.pack("<I", I_i) + Epub_i + static + ts + bytes(32)

C = KDF(1, C, Epub_r)[0]; H = HASH(H, Epub_r)
C = KDF(1, C, DH(E_r, Epub_i))[0]
C = KDF(1, C, DH(E_r, Spub_i))[0]
C, tau, k = KDF(3, C, psk); H = HASH(H, tau)
empty = AEAD(k, 0, b"", H)
resp = struct.pack("<I", 2) + struct.pack("<II", I_r, I_i) + Epub_r + empty + bytes(32)
T_send_i, T_recv_i = KDF(2, C, b"")

def transport(receiver, key, ctr, packet):
    padded = packet + bytes(-len(packet) % 16)
    return struct.pack("<IIQ", 4, receiver, ctr) + AEAD(key, ctr, padded, b"")

print("INITIATION", init.hex())
print("RESPONSE", resp.hex())
print("INITIATOR_DATA", transport(I_r, T_send_i, 0, b"hello").hex())
print("RESPONDER_DATA", transport(I_i, T_recv_i, 0, b"hi back").hex())
print("MAC1_OF_INITIATION", MAC(HASH(b"mac1----", Spub_r), init[:116]).hex())
