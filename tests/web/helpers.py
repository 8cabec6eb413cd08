"""Signing staff in, in the browser and in the test client."""


def sign_in(page, live_server, email, password='rahasia123'):
    """Sign in through the sign-in page, as a person does."""
    page.goto(f'{live_server}/masuk')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Kata sandi').fill(password)
    page.get_by_role('button', name='Masuk').click()


def sign_in_client(client, user):
    """Put `user` in the test client's session (the sign-in page itself is tested in the browser)."""
    with client.session_transaction() as session:
        session['_user_id'] = str(user.id)
        session['_fresh'] = True
