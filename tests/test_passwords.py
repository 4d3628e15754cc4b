"""Passwords are stored with Django's slow default hash, never as MD5 (the suite hashes with
MD5 for speed, see tests/conftest.py; this test puts the real hashers back)."""

from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from tests.conftest import REAL_PASSWORD_HASHERS


def test_a_password_is_stored_with_a_slow_salted_hash(settings):
    settings.PASSWORD_HASHERS = REAL_PASSWORD_HASHERS
    encoded = make_password("riktig hest batteri stift")
    hasher = identify_hasher(encoded)
    assert hasher.algorithm in {"pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt"}
    assert "riktig hest" not in encoded
    assert make_password("riktig hest batteri stift") != encoded  # salted
    assert check_password("riktig hest batteri stift", encoded)
    assert not check_password("feil", encoded)
