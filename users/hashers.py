"""Argon2id with the OWASP Password Storage Cheat Sheet's parameters.

Django's own Argon2 hasher uses 100 MiB and 8 lanes per hash (RFC 9106's "second
recommended option" scaled down): about as slow as PBKDF2's million rounds on our two-core
web nodes, and 100 MiB for each login in flight. OWASP's first option, m=19 MiB, t=2, p=1,
is memory-hard enough against GPU guessing at a fraction of the time and memory; see
``bench/login.py`` for the figures. Hashes stay in Django's ``argon2$argon2id$...`` format,
and Django rehashes a stored hash at login whenever its parameters differ from these.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
