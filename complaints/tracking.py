"""Tracking codes: short, unguessable, and easy to read out over the phone."""
import re
import secrets

#: No 0/O, 1/I/L or U/V look-alikes: 29 symbols; 8 of them give about 39 bits.
ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ'
_LENGTH = 8
_CLEAN = re.compile(r'[\s\-_.]')


def new_tracking_code():
    """A fresh code such as `K7QM-4XH2`."""
    raw = ''.join(secrets.choice(ALPHABET) for _ in range(_LENGTH))
    return f'{raw[:4]}-{raw[4:]}'


def canonical_tracking_code(text):
    """The stored form of what a person typed (`k7qm 4xh2` -> `K7QM-4XH2`), or None if it cannot be one."""
    raw = _CLEAN.sub('', (text or '')).upper()
    if len(raw) != _LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return f'{raw[:4]}-{raw[4:]}'
