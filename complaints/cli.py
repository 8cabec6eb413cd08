"""The `seed` commands: a believable demo city."""
import click
import sqlalchemy as sa
from flask.cli import AppGroup

from accounts.models import ADMIN, OFFICER, SUPERVISOR, User
from accounts.operations import create_user
from complaints.models import WALL_CLOCK, WORKING_HOURS, Agency, Category
from core.extensions import db
from core.timeutil import now_utc

seed_cli = AppGroup('seed', help='Demo data.')

#: The demo password of every demo account.
DEMO_PASSWORD = 'tanggap-demo'

#: Kota Sukamaju, an invented city in WIB: agency code, name, and its categories
#: (code, Indonesian name, English name, clock, resolution working days).
DEMO_AGENCIES = [
    ('DISKOMINFO', 'Dinas Komunikasi, Informatika dan Statistik', [
        # Messages arrive here until the resident or an officer picks a category (TRIAGE_CATEGORY).
        ('umum', 'Pengaduan umum (belum dipilih)', 'General (not yet chosen)', WALL_CLOCK, 5),
    ]),
    ('DISDUKCAPIL', 'Dinas Kependudukan dan Pencatatan Sipil', [
        ('ktp-el', 'KTP elektronik', 'Electronic ID card', WALL_CLOCK, 14),
        ('kartu-keluarga', 'Kartu Keluarga', 'Family card', WORKING_HOURS, 3),
        ('akta', 'Akta kelahiran dan kematian', 'Birth and death certificates', WORKING_HOURS, 3),
    ]),
    ('DINSOS', 'Dinas Sosial', [
        ('bansos', 'Bantuan sosial tidak tepat sasaran', 'Social aid not reaching the right people',
         WALL_CLOCK, 5),
        ('dtks', 'Pendaftaran DTKS', 'Welfare register (DTKS)', WORKING_HOURS, 5),
    ]),
    ('DPMPTSP', 'Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu', [
        ('izin-usaha', 'Perizinan usaha dan NIB', 'Business licences (NIB)', WORKING_HOURS, 3),
        ('pbg', 'Persetujuan Bangunan Gedung', 'Building approval (PBG)', WORKING_HOURS, 14),
    ]),
    ('DISDIKBUD', 'Dinas Pendidikan dan Kebudayaan', [
        ('ppdb', 'Penerimaan murid baru (PPDB/SPMB)', 'School admissions', WALL_CLOCK, 3),
        ('fasilitas-sekolah', 'Fasilitas sekolah rusak', 'Damaged school facilities', WORKING_HOURS, 7),
    ]),
    ('PUSKESMAS', 'Puskesmas Sukamaju', [
        ('layanan-kesehatan', 'Pelayanan puskesmas', 'Clinic service', WALL_CLOCK, 3),
        ('jkn', 'Kepesertaan JKN/BPJS Kesehatan', 'National health insurance membership', WORKING_HOURS, 5),
    ]),
    ('PUPR', 'Dinas Pekerjaan Umum dan Penataan Ruang', [
        ('jalan-rusak', 'Jalan rusak atau berlubang', 'Damaged road or pothole', WALL_CLOCK, 14),
        ('drainase', 'Saluran air tersumbat atau banjir', 'Blocked drain or flooding', WALL_CLOCK, 7),
        ('lampu-jalan', 'Lampu jalan mati', 'Street light out', WALL_CLOCK, 5),
    ]),
]

#: Invented staff: (local part, name, role, is head, is duty officer). Phones in +62 812 0000 xxxx.
DEMO_STAFF = [
    ('kepala', 'Kepala {code}', SUPERVISOR, True, False),
    ('petugas1', 'Petugas Satu {code}', OFFICER, False, True),
    ('petugas2', 'Petugas Dua {code}', OFFICER, False, False),
]


def seed_demo(now):
    """Create the demo city; existing rows are left as they are. Returns what was created."""
    created = []
    phone_counter = 1000
    for code, name, categories in DEMO_AGENCIES:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
        if agency is None:
            agency = Agency(code=code, name=name, timezone='Asia/Jakarta')
            db.session.add(agency)
            db.session.flush()
            created.append(f'agency {code}')
        for cat_code, name_id, name_en, clock, days in categories:
            if db.session.scalar(sa.select(Category.id).where(Category.code == cat_code)) is None:
                db.session.add(Category(code=cat_code, agency=agency, name_id=name_id, name_en=name_en,
                                        response_window_minutes=240, clock=clock, resolution_days=days))
                created.append(f'category {cat_code}')
        for local, staff_name, role, is_head, is_duty in DEMO_STAFF:
            phone_counter += 1
            email = f'{local}.{code.lower()}@sukamaju.example'
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = create_user(email=email, password=DEMO_PASSWORD, role=role, agency=agency,
                                   name=staff_name.format(code=code), phone=f'+6281200{phone_counter:04d}',
                                   now=now)
                created.append(f'{role} {email}')
            if is_head and agency.head_id is None:
                agency.head = user
            if is_duty and agency.duty_officer_id is None:
                agency.duty_officer = user
    admin_email = 'admin@sukamaju.example'
    if db.session.scalar(sa.select(User.id).where(User.email == admin_email)) is None:
        home = db.session.scalar(sa.select(Agency).where(Agency.code == 'DISKOMINFO'))
        create_user(email=admin_email, password=DEMO_PASSWORD, role=ADMIN, agency=home,
                    name='Admin Tanggap', now=now)
        created.append(f'admin {admin_email}')
    db.session.flush()
    return created


@seed_cli.command('demo')
def demo():
    """Demo agencies, categories, officers and supervisors; running it again changes nothing."""
    created = seed_demo(now_utc())
    db.session.commit()
    if created:
        click.echo(f'Created {len(created)} demo rows: ' + ', '.join(created))
        click.echo(f'Every demo account has the password {DEMO_PASSWORD!r}; '
                   'e.g. petugas1.dinsos@sukamaju.example (officer), kepala.dinsos@sukamaju.example (supervisor).')
    else:
        click.echo('Demo data already present; nothing changed.')
