"""Every text of the web pages has its English translation, and the compiled catalog is current."""
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / 'web/translations/en/LC_MESSAGES/messages.po'
MO = PO.with_suffix('.mo')
METHODS = [('**.py', 'python'), ('templates/**.html', 'jinja2')]


def _catalog(path, reader):
    with open(path, 'rb') as fh:
        return {m.id: m for m in reader(fh) if m.id}


def test_every_text_in_the_pages_has_an_english_translation():
    po = _catalog(PO, read_po)
    keywords = {**DEFAULT_KEYWORDS, 'N_': None, 'lazy_gettext': None}
    texts = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(ROOT / 'web', METHODS, keywords=keywords)}
    missing = sorted(t for t in texts if t not in po or not po[t].string or po[t].fuzzy)
    assert missing == [], 'run `make translations` and translate these in ' + str(PO.relative_to(ROOT))


def test_the_compiled_catalog_matches_the_translations():
    po, mo = _catalog(PO, read_po), _catalog(MO, read_mo)
    assert {k: m.string for k, m in po.items() if m.string} == {k: m.string for k, m in mo.items()}, \
        'run `make translations` to compile messages.mo'
