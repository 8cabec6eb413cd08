"""Attachments residents send: files stored under MEDIA_DIR, named by their SHA-256."""
import hashlib
import mimetypes
import os

from flask import current_app

from complaints.models import FILE, PHOTO, Attachment
from core.extensions import db


def store_media(data, content_type):
    """Write the bytes once (an identical file is stored only once); returns (storage key, digest)."""
    digest = hashlib.sha256(data).hexdigest()
    key = f'{digest[:2]}/{digest}{mimetypes.guess_extension(content_type or "") or ""}'
    path = os.path.join(current_app.config['MEDIA_DIR'], key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        # Written aside and renamed, so a crash never leaves a half file under the final name.
        with open(path + '.part', 'wb') as fh:
            fh.write(data)
        os.replace(path + '.part', path)
    return key, digest


def attach_file(ticket, message, data, content_type, *, now):
    """Store a photo or file and attach it to a message of the ticket."""
    key, digest = store_media(data, content_type)
    attachment = Attachment(ticket=ticket, message=message,
                            kind=PHOTO if (content_type or '').startswith('image/') else FILE,
                            content_type=content_type, size_bytes=len(data), storage_key=key, sha256=digest,
                            created_dt=now)
    db.session.add(attachment)
    return attachment
