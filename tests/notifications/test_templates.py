"""Message texts: Indonesian first, English on request, and local times as people read them."""
from datetime import datetime, timezone

import pytest

from notifications.templates import format_local, render

ACK = {'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial',
       'due_local': '14.30 WIB, Senin 23 November 2026'}

#: Every template with exactly the context keys its callers promise to pass.
CONTEXTS = {
    'acknowledgement': ACK,
    'reply': {'tracking_code': 'K7QM-4XH2', 'agency_name': 'Dinas Sosial', 'body': 'Sedang kami periksa.'},
    'status_changed': {'tracking_code': 'K7QM-4XH2', 'status_label': 'selesai', 'reason': ''},
    'warning': {**ACK, 'minutes_left': 1},
    'escalation': {**ACK, 'level': 1, 'minutes_late': 5, 'officer_name': 'Budi Santoso'},
    'resolution_breach': {**ACK, 'officer_name': 'Budi Santoso'},
    'sanction_recorded': {'tracking_code': 'K7QM-4XH2', 'due_local': '14.30 WIB, Senin 23 November 2026'},
}
RESIDENT_TEMPLATES = ('acknowledgement', 'reply', 'status_changed')


def test_indonesian_is_the_default():
    _, body = render('acknowledgement', 'id', **ACK)
    assert body == ('Pengaduan Anda diterima dengan kode K7QM-4XH2 dan diteruskan ke Dinas Sosial. '
                    'Petugas akan menjawab paling lambat pukul 14.30 WIB, Senin 23 November 2026. '
                    'Kirim STATUS K7QM-4XH2 untuk melihat perkembangannya.')


def test_english_when_asked():
    subject, body = render('acknowledgement', 'en', **ACK)
    assert subject == 'Complaint K7QM-4XH2 received'
    assert body.startswith('Your complaint was received with code K7QM-4XH2 and passed to Dinas Sosial.')
    assert 'Send STATUS K7QM-4XH2' in body


@pytest.mark.parametrize('language', ['fr', '', None, 'xx-YY'])
def test_an_unknown_language_falls_back_to_indonesian(language):
    assert render('acknowledgement', language, **ACK) == render('acknowledgement', 'id', **ACK)


def test_a_regional_variant_uses_its_language():
    assert render('acknowledgement', 'en-US', **ACK) == render('acknowledgement', 'en', **ACK)


def test_a_reply_carries_the_code_agency_and_officer_text():
    assert render('reply', 'id', **CONTEXTS['reply'])[1] == '[K7QM-4XH2] Dinas Sosial: Sedang kami periksa.'


def test_a_status_change_mentions_the_reason_only_when_there_is_one():
    context = CONTEXTS['status_changed']
    assert render('status_changed', 'id', **context)[1] == 'Status pengaduan K7QM-4XH2 sekarang: selesai.'
    _, body = render('status_changed', 'id', **{**context, 'status_label': 'ditolak',
                                                'reason': 'Bukan wewenang kami'})
    assert body == 'Status pengaduan K7QM-4XH2 sekarang: ditolak. Alasan: Bukan wewenang kami'
    _, body = render('status_changed', 'en', **{**context, 'status_label': 'rejected', 'reason': 'Not ours'})
    assert body == 'Complaint K7QM-4XH2 is now rejected. Reason: Not ours'


def test_an_escalation_says_how_late_who_is_responsible_and_what_to_do():
    _, body = render('escalation', 'id', **CONTEXTS['escalation'])
    assert 'K7QM-4XH2' in body and 'terlambat 5 menit' in body and 'Budi Santoso' in body
    assert 'Balas warga sekarang' in body and 'konfirmasi peringatan' in body
    _, body = render('escalation', 'en', **CONTEXTS['escalation'])
    assert '5 min past its deadline of 14.30 WIB' in body and 'acknowledge this alert' in body


@pytest.mark.parametrize('template', sorted(CONTEXTS))
@pytest.mark.parametrize('language', ['id', 'en'])
def test_every_context_key_is_required(template, language):
    render(template, language, **CONTEXTS[template])
    for key in CONTEXTS[template]:
        context = {k: v for k, v in CONTEXTS[template].items() if k != key}
        with pytest.raises(KeyError):
            render(template, language, **context)


def test_an_unknown_template_is_a_bug():
    with pytest.raises(KeyError):
        render('birthday', 'id', **ACK)


@pytest.mark.parametrize('template', RESIDENT_TEMPLATES)
@pytest.mark.parametrize('language', ['id', 'en'])
def test_resident_texts_fit_two_plain_sms_and_have_no_links(template, language):
    _, body = render(template, language, **CONTEXTS[template])
    assert body.isascii()  # GSM-7 friendly: one non-ASCII character halves an SMS segment
    assert len(body) <= 2 * 153
    assert 'http' not in body and 'www.' not in body


NOV_23_0730_UTC = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize('zone, expected', [
    ('Asia/Jakarta', '14.30 WIB, Senin 23 November 2026'),
    ('Asia/Makassar', '15.30 WITA, Senin 23 November 2026'),
    ('Asia/Jayapura', '16.30 WIT, Senin 23 November 2026'),
])
def test_format_local_in_indonesian(zone, expected):
    assert format_local(NOV_23_0730_UTC, zone, 'id') == expected


@pytest.mark.parametrize('zone, expected', [
    ('Asia/Jakarta', '2:30 pm WIB, Monday 23 November 2026'),
    ('Asia/Makassar', '3:30 pm WITA, Monday 23 November 2026'),
    ('Asia/Jayapura', '4:30 pm WIT, Monday 23 November 2026'),
])
def test_format_local_in_english(zone, expected):
    assert format_local(NOV_23_0730_UTC, zone, 'en') == expected


def test_format_local_crosses_midnight_in_the_local_zone():
    late = datetime(2026, 11, 23, 17, 5, tzinfo=timezone.utc)
    assert format_local(late, 'Asia/Jakarta', 'id') == '00.05 WIB, Selasa 24 November 2026'
    assert format_local(late, 'Asia/Jakarta', 'en') == '12:05 am WIB, Tuesday 24 November 2026'
    assert format_local(late, 'Asia/Jayapura', 'id') == '02.05 WIT, Selasa 24 November 2026'


def test_format_local_names_months_and_noon_without_a_locale():
    noon = datetime(2027, 2, 5, 5, 0, tzinfo=timezone.utc)  # 12.00 WIB, a Friday
    assert format_local(noon, 'Asia/Jakarta', 'id') == '12.00 WIB, Jumat 5 Februari 2027'
    assert format_local(noon, 'Asia/Jakarta', 'en') == '12:00 pm WIB, Friday 5 February 2027'


def test_format_local_elsewhere_shows_the_utc_offset():
    assert format_local(NOV_23_0730_UTC, 'Asia/Kolkata', 'en') == '1:00 pm UTC+5:30, Monday 23 November 2026'
    assert format_local(NOV_23_0730_UTC, 'Asia/Singapore', 'id') == '15.30 UTC+8, Senin 23 November 2026'
    assert format_local(NOV_23_0730_UTC, 'UTC', 'id') == '07.30 UTC, Senin 23 November 2026'


def test_format_local_reads_a_naive_time_as_utc():
    assert format_local(NOV_23_0730_UTC.replace(tzinfo=None), 'Asia/Jakarta', 'id') == \
        '14.30 WIB, Senin 23 November 2026'
