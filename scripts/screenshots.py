"""Take the README's screenshots: the officer inbox and the supervisor desk, on demo data.

    .venv/bin/python scripts/screenshots.py     (needs Debian's chromium at /usr/bin/chromium)
"""
import os
import sys
import tempfile
import threading
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'docs', 'screenshots')
COMPLAINTS = [
    # (category, description, hours ago, phone)
    ('bansos', 'Bantuan sembako bulan ini belum kami terima, padahal nama kami terdaftar di DTKS.', 5.5, '081200001101'),
    ('dtks', 'Mohon pendaftaran DTKS untuk ibu saya yang sudah lansia dan tinggal sendiri.', 3.4, '081200001102'),
    ('bansos', 'Penyaluran BLT di kelurahan kami tidak merata, beberapa warga mampu justru menerima.', 1.5, '081200001103'),
    ('bansos', 'Kartu KKS saya hilang, bagaimana cara mengurus penggantinya?', 0.3, '081200001104'),
    ('dtks', 'Data keluarga kami di DTKS masih mencantumkan almarhum ayah.', 9.0, '081200001105'),
]


def main():
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from complaints.cli import DEMO_PASSWORD, seed_demo
    from complaints.operations import file_complaint, reply
    from core import create_app, timeutil
    from core.extensions import db
    from sla.operations import sweep

    url = 'sqlite:///' + os.path.join(tempfile.mkdtemp(), 'shots.db')
    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY='screenshots')
    now = timeutil.now_utc()
    with app.app_context():
        upgrade()
        seed_demo(now)
        for category, text, hours, phone in COMPLAINTS:
            at = now - timedelta(hours=hours)
            ticket = file_complaint(category=category, description=text, phone=phone, now=at)
            if hours == 9.0:
                reply(ticket, ticket.agency.duty_officer, 'Data sedang kami perbarui, mohon kirim akta kematian.',
                      now=at + timedelta(hours=2))
        sweep(now=now)
        db.session.commit()
    server = make_server('127.0.0.1', 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{server.server_port}'
    os.makedirs(OUT, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path='/usr/bin/chromium', args=[
            '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'])
        for email, path, name in (('petugas1.dinsos@sukamaju.example', '/petugas/', 'inbox.png'),
                                  ('kepala.dinsos@sukamaju.example', '/supervisor/', 'supervisor-desk.png')):
            page = browser.new_page(viewport={'width': 1200, 'height': 800}, locale='id-ID')
            page.goto(f'{base}/masuk')
            page.get_by_label('Email').fill(email)
            page.get_by_label('Kata sandi').fill(DEMO_PASSWORD)
            page.get_by_role('button', name='Masuk').click()
            page.goto(base + path)
            page.wait_for_timeout(1200)
            page.screenshot(path=os.path.join(OUT, name), full_page=True)
            print('wrote', os.path.join(OUT, name))
            page.close()
        browser.close()
    server.shutdown()


if __name__ == '__main__':
    main()
