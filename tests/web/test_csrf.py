"""Forms need their CSRF token; the JSON API (bearer tokens) does not use cookies and is exempt."""
import re


def test_a_form_post_without_its_token_is_refused(client, make):
    officer = make.agency('DINSOS').duty_officer
    response = client.post('/masuk', data={'email': officer.email, 'password': 'rahasia123'})
    assert response.status_code == 400
    assert b'CSRF' in response.data or b'csrf' in response.data


def test_with_its_token_the_form_works(client, make):
    officer = make.agency('DINSOS').duty_officer
    page = client.get('/masuk').get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post('/masuk', data={'email': officer.email, 'password': 'rahasia123', 'csrf_token': token})
    assert response.status_code == 302 and response.headers['Location'].endswith('/petugas/')


def test_the_json_api_is_not_subject_to_csrf(client, make):
    category = make.category(make.agency('DINSOS'), 'bansos')
    response = client.post('/api/v1/complaints', json={'category': category.code,
                                                       'description': 'Bansos belum cair tiga bulan.'})
    assert response.status_code == 201
