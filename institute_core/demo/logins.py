"""The demo's sign-ins: one fixed login per role, and argon2 hashes made once per password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.low_level import hash_secret

from institute_core.enums import Role

# role -> (email, password); printed by `seed-demo` and listed in the README.
DEMO_LOGINS: dict[str, tuple[str, str]] = {
    Role.SUPER_ADMIN.value: ("superadmin@demo.institute", "demo-super-2026"),
    Role.ADMIN.value: ("admin@demo.institute", "demo-admin-2026"),
    Role.COUNSELOR.value: ("counselor@demo.institute", "demo-counselor-2026"),
    Role.FACULTY.value: ("faculty@demo.institute", "demo-faculty-2026"),
}
# Every other staff member of the demo signs in with this one.
OTHER_STAFF_PASSWORD = "demo-staff-2026"


class PasswordHashes:
    """argon2 hashes of the demo passwords, each computed once (hashing is slow on purpose).

    The salt comes from the demo's seeded RNG so that the same seed gives identical rows; the
    hashes are ordinary argon2 strings that `PasswordHasher().verify` accepts.
    """

    def __init__(self, salt_source: bytes) -> None:
        self._hasher = PasswordHasher()
        self._salt = salt_source
        self._cache: dict[str, str] = {}

    def of(self, password: str) -> str:
        if password not in self._cache:
            h = self._hasher
            self._cache[password] = hash_secret(
                password.encode(), self._salt, time_cost=h.time_cost, memory_cost=h.memory_cost,
                parallelism=h.parallelism, hash_len=h.hash_len, type=h.type).decode()
        return self._cache[password]

