"""Message texts, Bahasa Indonesia first and English second, and local times as people read them.

Resident texts stay short and plain ASCII (one or two SMS on a cheap phone) and never ask anyone to
open a link. A missing context key raises KeyError: that is a bug in the caller, not user input.
"""
from zoneinfo import ZoneInfo

from core.timeutil import ensure_utc

DEFAULT_LANGUAGE = 'id'

#: template -> language -> (subject, body). Subjects are used by channels that have one (email).
TEMPLATES = {
    # -- to residents ------------------------------------------------------------------------------
    'acknowledgement': {
        'id': ('Pengaduan {tracking_code} diterima',
               'Pengaduan Anda diterima dengan kode {tracking_code} dan diteruskan ke {agency_name}. '
               'Petugas akan menjawab paling lambat pukul {due_local}. '
               'Kirim STATUS {tracking_code} untuk melihat perkembangannya.'),
        'en': ('Complaint {tracking_code} received',
               'Your complaint was received with code {tracking_code} and passed to {agency_name}. '
               'An officer will reply by {due_local}. '
               'Send STATUS {tracking_code} to see its progress.'),
    },
    'reply': {
        'id': ('Balasan pengaduan {tracking_code}', '[{tracking_code}] {agency_name}: {body}'),
        'en': ('Reply to complaint {tracking_code}', '[{tracking_code}] {agency_name}: {body}'),
    },
    'status_changed': {
        'id': ('Status pengaduan {tracking_code}',
               'Status pengaduan {tracking_code} sekarang: {status_label}.{reason_sentence}'),
        'en': ('Status of complaint {tracking_code}',
               'Complaint {tracking_code} is now {status_label}.{reason_sentence}'),
    },
    # -- the conversation with a resident on Telegram, WhatsApp or SMS ---------------------------------
    'welcome': {
        'id': (None, 'Selamat datang di layanan pengaduan {city_name}. Tulis keluhan Anda di sini; '
                     'Anda akan menerima kode pengaduan dan jawaban petugas paling lambat 4 jam. '
                     'Kirim BANTUAN untuk daftar perintah.'),
        'en': (None, 'Welcome to the {city_name} complaint service. Write your complaint here; '
                     'you will get a tracking code and an answer from an officer within 4 hours. '
                     'Send HELP for the commands.'),
    },
    'help': {
        'id': (None, 'Tulis keluhan Anda untuk membuat pengaduan. Perintah: STATUS <kode> melihat '
                     'perkembangan, BARU memulai pengaduan baru, BATAL membatalkan pilihan.'),
        'en': (None, 'Write your complaint to file it. Commands: STATUS <code> to follow it, '
                     'NEW to start a new complaint, CANCEL to cancel a choice.'),
    },
    'unknown_command': {
        'id': (None, 'Perintah {command} tidak dikenal. Perintah: STATUS <kode>, BARU, BATAL, BANTUAN. '
                     'Atau tulis saja keluhan Anda.'),
        'en': (None, 'Unknown command {command}. Commands: STATUS <code>, NEW, CANCEL, HELP. '
                     'Or just write your complaint.'),
    },
    'status_reply': {
        'id': (None, '[{tracking_code}] {agency_name}: status {status_label}. {answer_line}'),
        'en': (None, '[{tracking_code}] {agency_name}: status {status_label}. {answer_line}'),
    },
    'status_unknown': {
        'id': (None, 'Kode {code} tidak ditemukan. Periksa kembali kode pengaduan Anda, contoh: STATUS K7QM-4XH2.'),
        'en': (None, 'Code {code} was not found. Check your tracking code, e.g. STATUS K7QM-4XH2.'),
    },
    'status_none': {
        'id': (None, 'Anda belum punya pengaduan. Tulis keluhan Anda untuk membuatnya.'),
        'en': (None, 'You have no complaints yet. Write your complaint to file one.'),
    },
    'category_menu': {
        'id': (None, 'Pilih kategori pengaduan {tracking_code} dengan membalas angkanya, atau abaikan '
                     'dan petugas akan memilihkan:\n{menu}'),
        'en': (None, 'Choose the category of complaint {tracking_code} by replying with its number, or '
                     'ignore this and an officer will choose:\n{menu}'),
    },
    'category_chosen': {
        'id': (None, 'Pengaduan {tracking_code} masuk kategori {category_name} dan diteruskan ke {agency_name}.'),
        'en': (None, 'Complaint {tracking_code} is filed under {category_name} and passed to {agency_name}.'),
    },
    'category_invalid': {
        'id': (None, 'Pilihan {choice} tidak ada. Balas angka 1 sampai {count}, atau BATAL.'),
        'en': (None, 'There is no choice {choice}. Reply with a number from 1 to {count}, or CANCEL.'),
    },
    'appended': {
        'id': (None, 'Pesan Anda ditambahkan ke pengaduan {tracking_code}. Kirim BARU bila ini keluhan lain.'),
        'en': (None, 'Your message was added to complaint {tracking_code}. Send NEW if this is another complaint.'),
    },
    'new_prompt': {
        'id': (None, 'Silakan tulis pengaduan baru Anda.'),
        'en': (None, 'Please write your new complaint.'),
    },
    'cancelled': {
        'id': (None, 'Dibatalkan.'),
        'en': (None, 'Cancelled.'),
    },
    'nothing_to_cancel': {
        'id': (None, 'Tidak ada yang perlu dibatalkan. Pengaduan yang sudah dikirim tetap diproses petugas.'),
        'en': (None, 'Nothing to cancel. Complaints already sent are still being handled.'),
    },
    'media_refused': {
        'id': (None, 'Lampiran tidak dapat diterima: {reason}. Kirim foto JPG/PNG atau PDF paling besar {max_mb} MB.'),
        'en': (None, 'The attachment was not accepted: {reason}. Send a JPG/PNG photo or a PDF of at most {max_mb} MB.'),
    },
    # -- to staff ----------------------------------------------------------------------------------
    'warning': {
        'id': ('Pengingat batas waktu {tracking_code}',
               'Pengingat: pengaduan {tracking_code} di {agency_name} belum dijawab. '
               'Sisa waktu {minutes_left} menit, batas pukul {due_local}. Mohon segera balas warga.'),
        'en': ('Deadline reminder {tracking_code}',
               'Reminder: complaint {tracking_code} at {agency_name} has no reply yet. '
               '{minutes_left} min left, deadline {due_local}. Please reply to the resident now.'),
    },
    'escalation': {
        'id': ('Eskalasi tingkat {level}: {tracking_code}',
               'ESKALASI tingkat {level}: pengaduan {tracking_code} di {agency_name} belum dijawab, '
               'terlambat {minutes_late} menit dari batas pukul {due_local}. '
               'Penanggung jawab: {officer_name}. '
               'Balas warga sekarang, atau konfirmasi peringatan ini di Tanggap.'),
        'en': ('Escalation level {level}: {tracking_code}',
               'ESCALATION level {level}: complaint {tracking_code} at {agency_name} is unanswered, '
               '{minutes_late} min past its deadline of {due_local}. '
               'Responsible: {officer_name}. '
               'Reply to the resident now, or acknowledge this alert in Tanggap.'),
    },
    'resolution_breach': {
        'id': ('Batas penyelesaian terlewati: {tracking_code}',
               'Pengaduan {tracking_code} di {agency_name} belum selesai dan melewati batas penyelesaian '
               'pukul {due_local}. Penanggung jawab: {officer_name}. '
               'Mohon segera selesaikan atau perbarui statusnya.'),
        'en': ('Resolution deadline missed: {tracking_code}',
               'Complaint {tracking_code} at {agency_name} is not resolved and has passed its resolution '
               'deadline of {due_local}. Responsible: {officer_name}. '
               'Please resolve it or update its status now.'),
    },
    'sanction_recorded': {
        'id': ('Catatan sanksi: {tracking_code}',
               'Catatan sanksi dibuat atas nama Anda: pengaduan {tracking_code} tidak dijawab sebelum '
               'batas pukul {due_local}. Atasan Anda akan mengonfirmasi atau membatalkannya. '
               'Balas warga sekarang bila belum.'),
        'en': ('Sanction record: {tracking_code}',
               'A sanction record was made in your name: complaint {tracking_code} was not answered by '
               'its deadline of {due_local}. Your supervisor will confirm or waive it. '
               'Reply to the resident now if you have not.'),
    },
}

_REASON = {'id': ' Alasan: {}', 'en': ' Reason: {}'}

_DAYS = {
    'id': ('Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu', 'Minggu'),
    'en': ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'),
}
_MONTHS = {
    'id': ('Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September',
           'Oktober', 'November', 'Desember'),
    'en': ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
           'October', 'November', 'December'),
}
#: The abbreviations Indonesians use for their three time zones.
_ZONE_NAMES = {'Asia/Jakarta': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT'}


def language_of(language):
    """The supported language for `language` ('en-US' -> 'en'); anything unknown falls back to 'id'."""
    code = (language or '').replace('_', '-').split('-')[0].lower()
    return code if code in _DAYS else DEFAULT_LANGUAGE


def render(template, language, **ctx):
    """(subject, body) of `template` in `language` (falling back to Indonesian); KeyError if ctx lacks a key."""
    language = language_of(language)
    texts = TEMPLATES[template]
    subject, body = texts.get(language) or texts[DEFAULT_LANGUAGE]
    if template == 'status_changed':
        reason = ctx['reason'].strip()
        ctx['reason_sentence'] = _REASON[language].format(reason) if reason else ''
    return (subject.format(**ctx) if subject else None), body.format(**ctx)


def format_local(dt, timezone_name, language):
    """`dt` as read locally: '14.30 WIB, Senin 23 November 2026' or '2:30 pm WIB, Monday 23 November 2026'."""
    language = language_of(language)
    local = ensure_utc(dt).astimezone(ZoneInfo(timezone_name))
    if language == 'id':
        clock = f'{local.hour:02d}.{local.minute:02d}'
    else:
        clock = f'{(local.hour % 12) or 12}:{local.minute:02d} {"am" if local.hour < 12 else "pm"}'
    zone = _ZONE_NAMES.get(timezone_name) or _utc_offset(local)
    day = _DAYS[language][local.weekday()]
    return f'{clock} {zone}, {day} {local.day} {_MONTHS[language][local.month - 1]} {local.year}'


def _utc_offset(local):
    minutes = int(local.utcoffset().total_seconds() // 60)
    if minutes == 0:
        return 'UTC'
    sign = '+' if minutes > 0 else '-'
    hours, rest = divmod(abs(minutes), 60)
    return f'UTC{sign}{hours}' + (f':{rest:02d}' if rest else '')
